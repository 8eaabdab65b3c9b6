// NCCL loaded at run time (dlopen of libnccl.so.2): capsim-calibrate runs on hosts without NCCL,
// and then says so in the profile. The few declarations below mirror nccl.h (NCCL 2.x ABI).
#pragma once

#include <cstddef>
#include <string>

struct CUstream_st;  // cudaStream_t is CUstream_st*

namespace capsim::calibrate {

using NcclResult = int;  ///< ncclResult_t; 0 = ncclSuccess
using NcclComm = struct ncclComm*;
using CudaStream = ::CUstream_st*;  ///< cudaStream_t

constexpr int kNcclFloat32 = 7;  ///< ncclFloat32
constexpr int kNcclSum = 0;      ///< ncclSum

/// The NCCL entry points capsim-calibrate uses; all null when the library is absent.
struct NcclLibrary {
  void* handle = nullptr;
  std::string error;  ///< why it could not be loaded (dlerror), when it could not
  int version = 0;    ///< ncclGetVersion, e.g. 22704 for 2.27.4

  NcclResult (*get_version)(int*) = nullptr;
  const char* (*get_error_string)(NcclResult) = nullptr;
  NcclResult (*comm_init_all)(NcclComm*, int, const int*) = nullptr;
  NcclResult (*comm_destroy)(NcclComm) = nullptr;
  NcclResult (*group_start)() = nullptr;
  NcclResult (*group_end)() = nullptr;
  NcclResult (*all_reduce)(const void*, void*, size_t, int, int, NcclComm, CudaStream) = nullptr;
  NcclResult (*all_gather)(const void*, void*, size_t, int, NcclComm, CudaStream) = nullptr;
  NcclResult (*reduce_scatter)(const void*, void*, size_t, int, int, NcclComm,
                               CudaStream) = nullptr;
  NcclResult (*send)(const void*, size_t, int, int, NcclComm, CudaStream) = nullptr;
  NcclResult (*recv)(void*, size_t, int, int, NcclComm, CudaStream) = nullptr;

  bool loaded() const { return handle != nullptr; }
  /// Throws std::runtime_error("<what>: <NCCL error>") unless `result` is success.
  void check(NcclResult result, const std::string& what) const;
};

/// Loads libnccl.so.2 (or `path` when not empty); never throws: see NcclLibrary::error.
NcclLibrary load_nccl(const std::string& path = "");

/// Closes the library.
void unload_nccl(NcclLibrary& library);

}  // namespace capsim::calibrate
