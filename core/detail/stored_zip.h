// The directory of a zip archive whose entries are stored uncompressed, as torch.save writes them:
// where each entry's bytes lie in the file, so they can be read with seeks. ZIP64 (archives and
// entries over 4 GiB) is understood; compressed, encrypted and multi-disk archives are refused.
#pragma once

#include "byte_source.h"

#include <cstdint>
#include <map>
#include <string>

namespace cm::detail {

struct ZipEntry {
    uint64_t dataOffset = 0; // absolute offset of the entry's first byte in the source
    uint64_t size = 0;
};

using ZipDirectory = std::map<std::string, ZipEntry>; // by entry name

// Validates the end record, the central directory and every local header against the source's size
// before reading through them. Throws cm::Error(Format) naming the origin (and the entry), or
// cm::Error(Io) if reading fails.
ZipDirectory readStoredZipDirectory(const ByteSource& source);

} // namespace cm::detail
