// Reading an artifact and checking its digest trailer (layout in artifact.h). The file is opened
// once, must be a regular file (never a FIFO, device or directory: /dev/zero would never end),
// and is read to its end in one pass, so the bytes checked here are the bytes that get mapped.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/artifact.h"
#include "util/sha256.h"

namespace kestrel {
namespace {

constexpr uint64_t kMaxArtifactBytes = 1ull << 34;  // 16 GiB: refuse to read anything bigger
constexpr char kMagic[8] = {'K', 'S', 'T', 'R', 'L', 'D', 'G', 'T'};

Status invalid(const std::string& path, const std::string& why) {
  return Fail(code::kArtifactInvalid, "artifact '" + path + "' " + why);
}

uint64_t le(const std::string& f, uint64_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(f[at + i]);
  return v;
}

Status read_fd(int fd, const std::string& path, uint64_t size, std::string* out) {
  out->resize(static_cast<size_t>(size));
  uint64_t got = 0;
  while (got < size) {
    const ssize_t n = read(fd, &(*out)[got], static_cast<size_t>(std::min<uint64_t>(size - got, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return invalid(path, std::string("cannot be read: ") + std::strerror(errno));
    if (n == 0) return invalid(path, "changed size while it was read");
    got += static_cast<uint64_t>(n);
  }
  char extra;
  if (read(fd, &extra, 1) != 0) return invalid(path, "changed size while it was read");
  return Ok();
}

Status read_whole(const std::string& path, std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return invalid(path, std::string("cannot be opened: ") + std::strerror(errno));
  struct stat st;
  Status s;
  if (fstat(fd, &st) != 0) s = invalid(path, std::string("cannot be examined: ") + std::strerror(errno));
  else if (!S_ISREG(st.st_mode)) s = invalid(path, "is not a regular file");
  else if (static_cast<uint64_t>(st.st_size) > kMaxArtifactBytes) s = invalid(path, "is larger than 16 GiB");
  else s = read_fd(fd, path, static_cast<uint64_t>(st.st_size), out);
  close(fd);
  return s;
}

Status check_digest(const std::string& path, const std::string& f) {
  const uint64_t n = f.size();
  if (n < kTrailerBytes || std::memcmp(f.data() + n - kTrailerBytes, kMagic, 8) != 0) {
    return invalid(path, "has no kestrel digest trailer (not written by a kestrel compiler, "
                         "an unfinished temporary file, or truncated)");
  }
  const uint64_t t = n - kTrailerBytes;
  if (le(f, t + 8, 4) != 1 || le(f, t + 12, 4) != 1) {
    return invalid(path, "has a digest trailer of an unknown version or algorithm");
  }
  if (le(f, t + 16, 8) != t || le(f, t + 24, 8) != 0) return invalid(path, "has a corrupt digest trailer");
  uint8_t digest[kSha256Bytes];
  sha256(reinterpret_cast<const uint8_t*>(f.data()), n - kSha256Bytes, digest);
  if (std::memcmp(digest, f.data() + n - kSha256Bytes, kSha256Bytes) != 0) {
    return invalid(path, "does not match its SHA-256 digest: the file is corrupt or was modified");
  }
  return Ok();
}

}  // namespace

Status read_checked(const std::string& path, CheckedFile* out) {
  KESTREL_TRY(read_whole(path, &out->bytes));
  KESTREL_TRY(check_digest(path, out->bytes));
  KESTREL_TRY(read_elf(path, out->bytes, &out->elf));
  return check_load_time_code(path, out->bytes, out->elf.machine);
}

}  // namespace kestrel
