# Shared by run.sh and test.sh: install missing packages, then configure and build with CMake.
# Sourced, not run.

capsim_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
capsim_build="${CAPSIM_BUILD_DIR:-$capsim_root/build}"

# Installs the packages named in scripts/apt-packages.txt that are not installed yet.
capsim_install_packages() {
  local wanted=() missing=() package
  mapfile -t wanted < <(grep -v '^\s*#' "$capsim_root/scripts/apt-packages.txt" | grep -v '^\s*$')
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures (once) and builds everything into $capsim_build; extra arguments go to cmake.
capsim_build_all() {
  local generator=()
  [ -f "$capsim_build/CMakeCache.txt" ] || generator=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
  cmake -S "$capsim_root" -B "$capsim_build" "${generator[@]}" "$@" >/dev/null
  cmake --build "$capsim_build" --parallel "$(nproc)"
}
