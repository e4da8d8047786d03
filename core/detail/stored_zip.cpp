#include "stored_zip.h"

#include "untrusted_text.h"

#include "core/error.h"

#include <algorithm>
#include <vector>

namespace cm::detail {

namespace {

// Record layouts: APPNOTE.TXT (PKWARE), sections 4.3.7 (local header), 4.3.12 (central header),
// 4.3.14-4.3.16 (ZIP64 end record, its locator, the end record) and 4.5.3 (ZIP64 extra field).
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndSize = 22;
constexpr uint64_t kMaxCommentSize = 0xFFFF;
constexpr uint64_t kZip64EndSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kEncryptedFlag = 0x0001;
constexpr uint16_t kStoredMethod = 0;
constexpr uint16_t kDeflateMethod = 8;
constexpr uint32_t kSize32Unknown = 0xFFFFFFFF; // "see the ZIP64 extra field"
constexpr uint16_t kDisk16Unknown = 0xFFFF;
// Real checkpoints have a few thousand entries (~100 bytes each in the central directory).
constexpr uint64_t kMaxCentralDirectoryBytes = 64ull << 20;

uint16_t le16(const uint8_t* p) {
    return uint16_t(p[0] | p[1] << 8);
}
uint32_t le32(const uint8_t* p) {
    return uint32_t(le16(p)) | uint32_t(le16(p + 2)) << 16;
}
uint64_t le64(const uint8_t* p) {
    return uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32;
}

[[noreturn]] void fail(const ByteSource& source, const std::string& message) {
    throw Error(ErrorKind::Format, source.origin() + ": " + message);
}

[[noreturn]] void failEntry(const ByteSource& source, const std::string& name, const std::string& message) {
    fail(source, "zip entry " + quoteUntrusted(name) + " " + message);
}

// Where the central directory lies, from the end record (and the ZIP64 end record if there is one).
struct CentralDirectoryPlace {
    uint64_t offset = 0;
    uint64_t size = 0;
    uint64_t entryCount = 0;
    uint64_t limit = 0; // the first byte after the space the central directory may occupy
};

// The end record is the last 22 bytes plus a comment of up to 64 KiB; its comment length must reach
// exactly to the end of the file, which tells a real record from the signature inside the comment.
uint64_t findEndRecord(const ByteSource& source) {
    const uint64_t fileSize = source.size();
    if (fileSize < kEndSize)
        fail(source, "the file is " + std::to_string(fileSize) +
                         " bytes long, too short for a zip archive (truncated?)");
    const uint64_t tailSize = std::min(fileSize, kEndSize + kMaxCommentSize);
    const uint64_t tailStart = fileSize - tailSize;
    const std::vector<uint8_t> tail = source.readVector(tailStart, std::size_t(tailSize));
    for (uint64_t pos = tailSize - kEndSize + 1; pos-- > 0;) {
        const uint8_t* record = tail.data() + pos;
        if (le32(record) == kEndSignature && pos + kEndSize + le16(record + 20) == tailSize)
            return tailStart + pos;
    }
    fail(source, "no zip end-of-central-directory record in the last " + std::to_string(tailSize) +
                     " bytes (the file is truncated, or not a zip archive)");
}

CentralDirectoryPlace readEndRecords(const ByteSource& source) {
    const uint64_t endOffset = findEndRecord(source);
    uint8_t end[kEndSize];
    source.read(endOffset, end, sizeof end);
    const uint16_t disk = le16(end + 4), directoryDisk = le16(end + 6);
    const uint16_t entriesOnDisk = le16(end + 8);
    CentralDirectoryPlace place;
    place.entryCount = le16(end + 10);
    place.size = le32(end + 12);
    place.offset = le32(end + 16);
    place.limit = endOffset;
    if ((disk != 0 && disk != kDisk16Unknown) || (directoryDisk != 0 && directoryDisk != kDisk16Unknown) ||
        entriesOnDisk != place.entryCount)
        fail(source, "the zip archive spans several disks, which is not supported");

    if (endOffset < kZip64LocatorSize) return place;
    const uint64_t locatorOffset = endOffset - kZip64LocatorSize;
    uint8_t locator[kZip64LocatorSize];
    source.read(locatorOffset, locator, sizeof locator);
    if (le32(locator) != kZip64LocatorSignature) return place;

    // ZIP64: the end record's fields may be 0xFFFF.. placeholders; the ZIP64 end record has the values.
    const uint64_t zip64EndOffset = le64(locator + 8);
    if (le32(locator + 4) != 0 || le32(locator + 16) > 1)
        fail(source, "the zip archive spans several disks, which is not supported");
    if (zip64EndOffset > locatorOffset || locatorOffset - zip64EndOffset < kZip64EndSize)
        fail(source, "the ZIP64 end record offset " + std::to_string(zip64EndOffset) +
                         " does not lie before its locator at " + std::to_string(locatorOffset));
    uint8_t zip64End[kZip64EndSize];
    source.read(zip64EndOffset, zip64End, sizeof zip64End);
    if (le32(zip64End) != kZip64EndSignature)
        fail(source,
             "no ZIP64 end record at offset " + std::to_string(zip64EndOffset) + " where its locator points");
    if (le32(zip64End + 16) != 0 || le32(zip64End + 20) != 0 || le64(zip64End + 24) != le64(zip64End + 32))
        fail(source, "the zip archive spans several disks, which is not supported");
    place.entryCount = le64(zip64End + 32);
    place.size = le64(zip64End + 40);
    place.offset = le64(zip64End + 48);
    place.limit = zip64EndOffset;
    return place;
}

// The sizes and offset of a central header, with ZIP64 placeholders replaced from the extra field.
struct CentralEntry {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;
    uint64_t compressedSize = 0;
    uint64_t uncompressedSize = 0;
    uint64_t localHeaderOffset = 0;
};

void applyZip64Extra(const ByteSource& source, CentralEntry& entry, const uint8_t* extra, uint64_t extraSize,
                     bool diskUnknown) {
    bool needsZip64 = entry.uncompressedSize == kSize32Unknown || entry.compressedSize == kSize32Unknown ||
                      entry.localHeaderOffset == kSize32Unknown || diskUnknown;
    uint64_t pos = 0;
    while (pos + 4 <= extraSize) {
        const uint16_t id = le16(extra + pos), fieldSize = le16(extra + pos + 2);
        pos += 4;
        if (fieldSize > extraSize - pos)
            failEntry(source, entry.name, "has an extra field that runs past the end of its central header");
        if (id == kZip64ExtraId) {
            // Only the placeholders are present, in this order (APPNOTE 4.5.3).
            const uint8_t* field = extra + pos;
            uint64_t available = fieldSize;
            const auto take = [&](uint64_t& value) {
                if (available < 8) failEntry(source, entry.name, "has a ZIP64 extra field that is too short");
                value = le64(field);
                field += 8;
                available -= 8;
            };
            if (entry.uncompressedSize == kSize32Unknown) take(entry.uncompressedSize);
            if (entry.compressedSize == kSize32Unknown) take(entry.compressedSize);
            if (entry.localHeaderOffset == kSize32Unknown) take(entry.localHeaderOffset);
            needsZip64 = false;
        }
        pos += fieldSize;
    }
    if (needsZip64)
        failEntry(source, entry.name, "needs a ZIP64 extra field for its sizes or offset, which is missing");
}

std::vector<CentralEntry> readCentralDirectory(const ByteSource& source, const CentralDirectoryPlace& place) {
    if (place.offset > place.limit || place.size > place.limit - place.offset)
        fail(source, "the zip central directory [" + std::to_string(place.offset) + ", +" +
                         std::to_string(place.size) + ") lies outside the " + std::to_string(place.limit) +
                         " bytes before the end record (truncated or corrupt archive)");
    if (place.size > kMaxCentralDirectoryBytes)
        fail(source, "the zip central directory of " + std::to_string(place.size) +
                         " bytes is implausibly large (limit " + std::to_string(kMaxCentralDirectoryBytes) +
                         ")");
    if (place.entryCount > place.size / kCentralHeaderSize)
        fail(source, "the zip archive claims " + std::to_string(place.entryCount) +
                         " entries but its central directory of " + std::to_string(place.size) +
                         " bytes has room for at most " + std::to_string(place.size / kCentralHeaderSize));
    const std::vector<uint8_t> directory = source.readVector(place.offset, std::size_t(place.size));

    std::vector<CentralEntry> entries;
    entries.reserve(std::size_t(place.entryCount));
    uint64_t pos = 0;
    for (uint64_t i = 0; i < place.entryCount; ++i) {
        const uint8_t* header = directory.data() + pos;
        if (place.size - pos < kCentralHeaderSize || le32(header) != kCentralHeaderSignature)
            fail(source, "zip central directory entry " + std::to_string(i) + " at offset " +
                             std::to_string(place.offset + pos) +
                             " is not a central header (corrupt archive)");
        const uint64_t nameSize = le16(header + 28), extraSize = le16(header + 30),
                       commentSize = le16(header + 32);
        if (place.size - pos - kCentralHeaderSize < nameSize + extraSize + commentSize)
            fail(source, "zip central directory entry " + std::to_string(i) +
                             " runs past the end of the central directory");
        CentralEntry entry;
        entry.name.assign(reinterpret_cast<const char*>(header + kCentralHeaderSize), std::size_t(nameSize));
        entry.flags = le16(header + 8);
        entry.method = le16(header + 10);
        entry.compressedSize = le32(header + 20);
        entry.uncompressedSize = le32(header + 24);
        entry.localHeaderOffset = le32(header + 42);
        applyZip64Extra(source, entry, header + kCentralHeaderSize + nameSize, extraSize,
                        le16(header + 34) == kDisk16Unknown);
        entries.push_back(std::move(entry));
        pos += kCentralHeaderSize + nameSize + extraSize + commentSize;
    }
    return entries;
}

// The entry's data follows its local header, whose name and extra field may differ in length from the
// central header's (torch pads the local extra field to align the data).
ZipEntry locateData(const ByteSource& source, const CentralEntry& entry, uint64_t dataLimit) {
    if (entry.flags & kEncryptedFlag) failEntry(source, entry.name, "is encrypted, which is not supported");
    if (entry.method == kDeflateMethod)
        failEntry(source, entry.name,
                  "is compressed (deflate); only stored (uncompressed) entries are supported, which is how "
                  "torch.save writes them: re-save the file with torch.save");
    if (entry.method != kStoredMethod)
        failEntry(source, entry.name,
                  "uses compression method " + std::to_string(entry.method) +
                      "; only stored (uncompressed) entries are supported");
    if (entry.compressedSize != entry.uncompressedSize)
        failEntry(source, entry.name,
                  "is stored but its compressed size " + std::to_string(entry.compressedSize) +
                      " differs from its size " + std::to_string(entry.uncompressedSize));
    if (entry.localHeaderOffset > dataLimit || dataLimit - entry.localHeaderOffset < kLocalHeaderSize)
        failEntry(source, entry.name,
                  "has its local header at offset " + std::to_string(entry.localHeaderOffset) +
                      ", outside the archive's data area of " + std::to_string(dataLimit) + " bytes");
    uint8_t local[kLocalHeaderSize];
    source.read(entry.localHeaderOffset, local, sizeof local);
    if (le32(local) != kLocalHeaderSignature)
        failEntry(source, entry.name,
                  "has no local header at offset " + std::to_string(entry.localHeaderOffset) +
                      " (corrupt archive)");
    const uint64_t nameOffset = entry.localHeaderOffset + kLocalHeaderSize;
    const uint64_t nameSize = le16(local + 26), extraSize = le16(local + 28);
    const uint64_t dataOffset = nameOffset + nameSize + extraSize;
    if (dataOffset > dataLimit || entry.uncompressedSize > dataLimit - dataOffset)
        failEntry(source, entry.name,
                  "has its data at [" + std::to_string(dataOffset) + ", +" +
                      std::to_string(entry.uncompressedSize) + "), past the archive's data area of " +
                      std::to_string(dataLimit) + " bytes (truncated or corrupt archive)");
    if (nameSize != entry.name.size() || source.readVector(nameOffset, std::size_t(nameSize)) !=
                                             std::vector<uint8_t>(entry.name.begin(), entry.name.end()))
        failEntry(source, entry.name, "has a local header that names a different entry (corrupt archive)");
    return {dataOffset, entry.uncompressedSize};
}

} // namespace

ZipDirectory readStoredZipDirectory(const ByteSource& source) {
    const CentralDirectoryPlace place = readEndRecords(source);
    ZipDirectory directory;
    for (const CentralEntry& entry : readCentralDirectory(source, place)) {
        const ZipEntry located = locateData(source, entry, place.offset);
        if (!directory.emplace(entry.name, located).second)
            failEntry(source, entry.name, "appears twice in the archive");
    }
    return directory;
}

} // namespace cm::detail
