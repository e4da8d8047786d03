// Writing a whole file so that readers see either the old content or the new, never a mix.
// Reentrant; thread-safe on distinct paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

// Writes `bytes` to `path.tmp-XXXX`, flushes it to disk, then renames it over `path`.
// Throws cm::Error(Io) naming the path on failure, after removing the temporary file.
void writeFileAtomically(const std::string& path, const std::vector<uint8_t>& bytes);
void writeFileAtomically(const std::string& path, const std::string& text);

// Removes `path.tmp-<pid>-<n>` files left behind by processes that no longer run (killed or out of
// power during a write). Returns how many were removed; never throws.
int removeStaleTemporaries(const std::string& path);

// Reads a whole file; throws cm::Error(Io) naming the path if it cannot.
std::vector<uint8_t> readWholeFile(const std::string& path);
// The same for a file that may not exceed `maxBytes`: a larger one is cm::Error(Format), refused before it
// is read (or as soon as a pipe passes the limit).
std::vector<uint8_t> readWholeFile(const std::string& path, uint64_t maxBytes);

// Whether two paths name one file, existing or not: a hard link, "./x" and "x", or the same path (so a run
// never writes one file as two of its outputs, or over its input). Never throws.
bool sameFile(const std::string& a, const std::string& b);

} // namespace cm
