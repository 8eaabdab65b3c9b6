#include "NcclLibrary.hpp"

#include <dlfcn.h>

#include <stdexcept>

namespace capsim::calibrate {
namespace {

template <typename Function>
bool bind(void* handle, const char* name, Function& function, std::string& error) {
  function = reinterpret_cast<Function>(dlsym(handle, name));
  if (!function && error.empty()) error = std::string("libnccl has no ") + name;
  return function != nullptr;
}

}  // namespace

void NcclLibrary::check(NcclResult result, const std::string& what) const {
  if (result == 0) return;
  const char* text = get_error_string ? get_error_string(result) : "NCCL error";
  throw std::runtime_error(what + ": " + text + " (" + std::to_string(result) + ")");
}

NcclLibrary load_nccl(const std::string& path) {
  NcclLibrary nccl;
  const std::string name = path.empty() ? "libnccl.so.2" : path;
  nccl.handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!nccl.handle) {
    const char* message = dlerror();
    nccl.error = message ? message : ("cannot load " + name);
    return nccl;
  }
  std::string error;
  bool ok = bind(nccl.handle, "ncclGetVersion", nccl.get_version, error);
  ok = bind(nccl.handle, "ncclGetErrorString", nccl.get_error_string, error) && ok;
  ok = bind(nccl.handle, "ncclCommInitAll", nccl.comm_init_all, error) && ok;
  ok = bind(nccl.handle, "ncclCommDestroy", nccl.comm_destroy, error) && ok;
  ok = bind(nccl.handle, "ncclGroupStart", nccl.group_start, error) && ok;
  ok = bind(nccl.handle, "ncclGroupEnd", nccl.group_end, error) && ok;
  ok = bind(nccl.handle, "ncclAllReduce", nccl.all_reduce, error) && ok;
  ok = bind(nccl.handle, "ncclAllGather", nccl.all_gather, error) && ok;
  ok = bind(nccl.handle, "ncclReduceScatter", nccl.reduce_scatter, error) && ok;
  ok = bind(nccl.handle, "ncclSend", nccl.send, error) && ok;
  ok = bind(nccl.handle, "ncclRecv", nccl.recv, error) && ok;
  if (!ok) {
    dlclose(nccl.handle);
    NcclLibrary absent;
    absent.error = error;
    return absent;
  }
  nccl.get_version(&nccl.version);
  return nccl;
}

void unload_nccl(NcclLibrary& library) {
  if (library.handle) dlclose(library.handle);
  library = NcclLibrary{};
}

}  // namespace capsim::calibrate
