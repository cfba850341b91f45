// Mapping an artifact whose bytes have been checked, without a gap between check and map.
//
// Why not dlopen(path) after checking the file: the path can name different bytes by the time
// ld.so opens it (the file rewritten or replaced in between: a time-of-check / time-of-use gap),
// and ld.so itself parses the dynamic section and runs relocations, so the bytes it maps must be
// the bytes that were checked. So the loader reads the file once (artifact_file.cc), checks that
// copy, writes it to an anonymous memfd, seals the memfd (no write, grow or shrink: not even a
// process that finds it in /proc/PID/fd can change it) and dlopens "/proc/self/fd/N". Where memfd
// is unavailable (old kernels, or memfd exec disabled by vm.memfd_noexec) the copy goes to an
// unnamed O_TMPFILE in $TMPDIR (or /tmp), reachable only through this process's descriptor.
//
// The descriptor stays open for the life of the library: glibc recognises an already loaded
// library by its name, so a name "/proc/self/fd/N" must not be reused while that library is
// mapped; it can be reused only after dlclose, when the caller closes it.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/artifact.h"

namespace kestrel {
namespace {

Status fail(const std::string& path, const std::string& why) {
  return Fail(code::kArtifactInvalid, "cannot load artifact '" + path + "': " + why);
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// A private file holding `bytes`, sealed where possible; -1 (errno set) when none can be made.
// The memfd is named after the artifact ("/memfd:kestrel:model.so" in /proc/PID/maps and perf).
int private_copy(const std::string& path, const std::string& bytes) {
  const std::string name = "kestrel:" + path.substr(path.find_last_of('/') + 1).substr(0, 200);
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  const bool sealable = fd >= 0;
  if (fd < 0) {
    const char* dir = std::getenv("TMPDIR");
    fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);
  }
  if (fd < 0) return -1;
  const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  if (!write_all(fd, bytes) || (sealable && fcntl(fd, F_ADD_SEALS, seals) != 0)) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

}  // namespace

Status dlopen_verified(const std::string& path, const std::string& bytes, void** handle, int* fd) {
  *handle = nullptr;
  *fd = private_copy(path, bytes);
  if (*fd < 0) return fail(path, std::string("no private copy could be made: ") + std::strerror(errno));
  const std::string name = "/proc/self/fd/" + std::to_string(*fd);
  *handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (*handle) return Ok();
  const char* e = dlerror();
  std::string why = e ? e : "dlopen failed";
  const size_t at = why.find(name);
  if (at != std::string::npos) why.replace(at, name.size(), "(verified copy)");
  close(*fd);
  *fd = -1;
  return fail(path, why);
}

}  // namespace kestrel
