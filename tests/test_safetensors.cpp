// safetensors reading and writing: round trips, the exact byte layout, every class of corrupt file,
// atomic writes, and robustness against truncated and randomly damaged files (run under ASan + UBSan).
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "expect_error.h"

#include <QElapsedTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cstring>
#include <random>
#include <sys/resource.h>

using namespace cm;
using cmtest::expectError;

namespace {

long peakResidentKilobytes() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

const std::string kOrigin = "sample.safetensors";

TensorRecord makeRecord(DType dtype, std::vector<int64_t> shape, uint8_t seed) {
    TensorRecord record;
    record.dtype = dtype;
    record.shape = std::move(shape);
    record.bytes.resize(std::size_t(record.elementCount()) * dtypeSize(dtype));
    for (std::size_t i = 0; i < record.bytes.size(); ++i)
        record.bytes[i] = uint8_t(seed + 37 * i);
    return record;
}

SafetensorsFile sampleFile() {
    SafetensorsFile file;
    file.tensors["a.f32"] = makeRecord(DType::F32, {2, 3}, 1);
    file.tensors["b.f16"] = makeRecord(DType::F16, {4}, 2);
    file.tensors["c.f64.scalar"] = makeRecord(DType::F64, {}, 3);
    file.tensors["d.i64"] = makeRecord(DType::I64, {2, 2}, 4);
    file.tensors["e.i32"] = makeRecord(DType::I32, {3}, 5);
    file.tensors["f.u8"] = makeRecord(DType::U8, {5}, 6);
    file.tensors["g.empty"] = makeRecord(DType::F32, {0, 3}, 7);
    file.metadata["format"] = "cmstudio-model";
    file.metadata["notes"] = "unicode \xc3\xbc and \"quotes\"";
    return file;
}

// A file with a hand-written header and `dataSize` bytes of data.
std::vector<uint8_t> rawFile(const std::string& header, std::size_t dataSize) {
    std::vector<uint8_t> bytes(8 + header.size() + dataSize, 0xAB);
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i)
        bytes[std::size_t(i)] = uint8_t(n >> (8 * i));
    std::copy(header.begin(), header.end(), bytes.begin() + 8);
    return bytes;
}

QByteArray toQBytes(const std::vector<uint8_t>& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size()));
}

std::vector<uint8_t> fromQBytes(const QByteArray& bytes) {
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

void compareFiles(const SafetensorsFile& a, const SafetensorsFile& b) {
    QCOMPARE(a.metadata, b.metadata);
    QCOMPARE(a.tensors.size(), b.tensors.size());
    for (const auto& [name, record] : a.tensors) {
        const auto it = b.tensors.find(name);
        QVERIFY2(it != b.tensors.end(), name.c_str());
        QCOMPARE(int(it->second.dtype), int(record.dtype));
        QCOMPARE(it->second.shape, record.shape);
        QVERIFY2(it->second.bytes == record.bytes, name.c_str());
    }
}

QStringList tempLeftovers(const QString& directory) {
    return QDir(directory).entryList({"*.tmp-*"}, QDir::Files | QDir::Hidden);
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

  private slots:
    void dtypeNamesAndSizes() {
        QCOMPARE(QString(dtypeName(DType::F32)), QString("F32"));
        QCOMPARE(QString(dtypeName(DType::F16)), QString("F16"));
        QCOMPARE(dtypeSize(DType::F64), std::size_t(8));
        QCOMPARE(dtypeSize(DType::F16), std::size_t(2));
        QCOMPARE(dtypeSize(DType::I32), std::size_t(4));
        QCOMPARE(dtypeSize(DType::U8), std::size_t(1));
        TensorRecord scalar;
        QCOMPARE(scalar.elementCount(), int64_t(1));
    }

    void roundTripEveryDtype() {
        const SafetensorsFile original = sampleFile();
        const SafetensorsFile back = parseSafetensors(serializeSafetensors(original), kOrigin);
        compareFiles(original, back);
        QCOMPARE(back.tensors.at("c.f64.scalar").shape, std::vector<int64_t>{});
        QCOMPARE(back.tensors.at("c.f64.scalar").bytes.size(), std::size_t(8));
        QCOMPARE(back.tensors.at("g.empty").bytes.size(), std::size_t(0));
    }

    void roundTripWithoutTensorsOrMetadata() {
        const SafetensorsFile empty;
        const std::vector<uint8_t> bytes = serializeSafetensors(empty);
        const SafetensorsFile back = parseSafetensors(bytes, kOrigin);
        QVERIFY(back.tensors.empty());
        QVERIFY(back.metadata.empty());
    }

    void byteLayout() {
        const SafetensorsFile file = sampleFile();
        const std::vector<uint8_t> bytes = serializeSafetensors(file);
        uint64_t headerSize = 0;
        for (int i = 7; i >= 0; --i)
            headerSize = headerSize << 8 | bytes[std::size_t(i)];
        QCOMPARE(headerSize % 8, uint64_t(0));

        std::size_t dataSize = 0;
        for (const auto& entry : file.tensors)
            dataSize += entry.second.bytes.size();
        QCOMPARE(uint64_t(bytes.size()), 8 + headerSize + dataSize);

        const std::string header(bytes.begin() + 8, bytes.begin() + 8 + long(headerSize));
        const std::size_t lastBrace = header.find_last_of('}');
        QVERIFY(lastBrace != std::string::npos);
        QVERIFY(lastBrace + 8 > header.size());
        QCOMPARE(header.find_first_not_of(' ', lastBrace + 1), std::string::npos);

        // Data is packed in name order, matching the offsets in the header.
        const nlohmann::json json = nlohmann::json::parse(header);
        QCOMPARE(json["__metadata__"]["format"].get<std::string>(), std::string("cmstudio-model"));
        std::size_t offset = 0;
        for (const auto& [name, record] : file.tensors) {
            QCOMPARE(json[name]["data_offsets"][0].get<std::size_t>(), offset);
            QCOMPARE(json[name]["data_offsets"][1].get<std::size_t>(), offset + record.bytes.size());
            QCOMPARE(json[name]["dtype"].get<std::string>(), std::string(dtypeName(record.dtype)));
            QVERIFY(std::equal(record.bytes.begin(), record.bytes.end(),
                               bytes.begin() + long(8 + headerSize + offset)));
            offset += record.bytes.size();
        }
    }

    void writeAndReadFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("model.safetensors").toStdString();
        const SafetensorsFile file = sampleFile();
        writeSafetensors(path, file);
        compareFiles(file, readSafetensors(path));
        QVERIFY(readWholeFile(path) == serializeSafetensors(file));
        QVERIFY(tempLeftovers(dir.path()).isEmpty());
    }

    void corruptFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QStringList>("phrases");

        std::vector<uint8_t> truncated = serializeSafetensors(sampleFile());
        truncated.resize(truncated.size() - 4);
        QTest::newRow("truncated data")
            << toQBytes(truncated) << QStringList{"'f.u8'", "beyond the data section"};
        QTest::newRow("3 bytes") << toQBytes({1, 2, 3}) << QStringList{"3 bytes", "too short"};
        QTest::newRow("empty file") << QByteArray() << QStringList{"0 bytes", "too short"};

        std::vector<uint8_t> longHeader = rawFile("{}", 90);
        longHeader[0] = 0xE8, longHeader[1] = 0x03; // 1000
        QTest::newRow("header length larger than file") << toQBytes(longHeader) << QStringList{"1000", "92"};
        std::vector<uint8_t> hugeHeader = rawFile("{}", 0);
        hugeHeader[7] = 0xFF;
        QTest::newRow("header length near 2^64")
            << toQBytes(hugeHeader) << QStringList{"header length", "2 bytes"};

        QTest::newRow("bad JSON") << toQBytes(rawFile("{\"a\": ", 0))
                                  << QStringList{"not valid JSON", "parse error"};
        QTest::newRow("invalid UTF-8")
            << toQBytes(rawFile("{\"\xff\": 1}", 0)) << QStringList{"not valid JSON", "parse error"};
        QTest::newRow("header is an array")
            << toQBytes(rawFile("[1, 2]", 0)) << QStringList{"JSON object", "array"};

        const auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape,
                              const std::string& offsets) {
            return "\"" + name + "\": {\"dtype\": " + dtype + ", \"shape\": " + shape +
                   ", \"data_offsets\": " + offsets + "}";
        };
        const auto one = [&](const std::string& dtype, const std::string& shape, const std::string& offsets,
                             std::size_t dataSize) {
            return toQBytes(rawFile("{" + entry("w", dtype, shape, offsets) + "}", dataSize));
        };
        QTest::newRow("unknown dtype")
            << one("\"Q7\"", "[1]", "[0, 1]", 1) << QStringList{"'w'", "Q7", "F32, F16, BF16, I64, I32, U8"};
        QTest::newRow("BOOL unsupported")
            << one("\"BOOL\"", "[1]", "[0, 1]", 1) << QStringList{"'w'", "BOOL"};
        QTest::newRow("dtype not a string")
            << one("4", "[1]", "[0, 1]", 1) << QStringList{"'w'", "\"dtype\""};
        QTest::newRow("span outside data")
            << one("\"U8\"", "[8]", "[0, 8]", 4)
            << QStringList{"'w'", "[0, 8]", "beyond the data section of 4 bytes"};
        QTest::newRow("begin after end")
            << one("\"U8\"", "[0]", "[4, 0]", 4) << QStringList{"'w'", "after end"};
        QTest::newRow("shape/span mismatch")
            << one("\"F32\"", "[3]", "[0, 8]", 8) << QStringList{"'w'", "needs 12 bytes", "span 8"};
        QTest::newRow("huge dims overflow")
            << one("\"F32\"", "[4611686018427387904, 4]", "[0, 8]", 8) << QStringList{"'w'", "overflow"};
        QTest::newRow("dtype size overflow")
            << one("\"F64\"", "[2305843009213693952, 2]", "[0, 8]", 8) << QStringList{"'w'", "overflow"};
        QTest::newRow("dim beyond int64")
            << one("\"U8\"", "[18446744073709551615]", "[0, 8]", 8) << QStringList{"'w'", "too large"};
        QTest::newRow("negative dim")
            << one("\"U8\"", "[-1, 4]", "[0, 4]", 4) << QStringList{"'w'", "negative"};
        QTest::newRow("fractional dim")
            << one("\"U8\"", "[1.5]", "[0, 1]", 1) << QStringList{"'w'", "non-negative integer"};
        QTest::newRow("shape not an array")
            << one("\"U8\"", "4", "[0, 4]", 4) << QStringList{"'w'", "\"shape\""};
        QTest::newRow("negative offset")
            << one("\"U8\"", "[4]", "[-1, 3]", 4) << QStringList{"'w'", "\"data_offsets\""};
        QTest::newRow("one offset") << one("\"U8\"", "[4]", "[0]", 4)
                                    << QStringList{"'w'", "\"data_offsets\""};
        QTest::newRow("entry not an object")
            << toQBytes(rawFile("{\"w\": 5}", 0)) << QStringList{"'w'", "expected an object"};
        QTest::newRow("missing dtype")
            << toQBytes(rawFile("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 1]}}", 1))
            << QStringList{"'w'", "missing \"dtype\""};
        QTest::newRow("missing shape")
            << toQBytes(rawFile("{\"w\": {\"dtype\": \"U8\", \"data_offsets\": [0, 1]}}", 1))
            << QStringList{"'w'", "missing \"shape\""};
        QTest::newRow("missing data_offsets")
            << toQBytes(rawFile("{\"w\": {\"dtype\": \"U8\", \"shape\": [1]}}", 1))
            << QStringList{"'w'", "missing \"data_offsets\""};

        const auto two = [&](const std::string& offsetsA, const std::string& offsetsB, std::size_t dataSize) {
            return toQBytes(rawFile("{" + entry("a", "\"U8\"", "[4]", offsetsA) + ", " +
                                        entry("b", "\"U8\"", "[4]", offsetsB) + "}",
                                    dataSize));
        };
        QTest::newRow("overlapping spans")
            << two("[0, 4]", "[2, 6]", 6) << QStringList{"'b'", "overlap", "'a'"};
        QTest::newRow("identical spans") << two("[0, 4]", "[0, 4]", 4) << QStringList{"overlap"};
        QTest::newRow("hole between") << two("[0, 4]", "[6, 10]", 10) << QStringList{"'b'", "hole", "'a'"};
        QTest::newRow("hole at start") << two("[2, 6]", "[6, 10]", 10) << QStringList{"'a'", "hole"};
        QTest::newRow("hole at end") << two("[0, 4]", "[4, 8]", 10)
                                     << QStringList{"hole", "'b'", "10 bytes", "cover only 8"};
        QTest::newRow("data without tensors") << toQBytes(rawFile("{}", 3)) << QStringList{"hole", "3 bytes"};

        QTest::newRow("non-string metadata") << toQBytes(rawFile("{\"__metadata__\": {\"k\": 1}}", 0))
                                             << QStringList{"__metadata__", "'k'", "string"};
        QTest::newRow("metadata not an object")
            << toQBytes(rawFile("{\"__metadata__\": [\"k\"]}", 0)) << QStringList{"__metadata__", "object"};
    }

    void corruptFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QStringList, phrases);
        try {
            parseSafetensors(fromQBytes(bytes), kOrigin);
            QFAIL("no error for a corrupt file");
        } catch (const Error& e) {
            const QString message = QString::fromUtf8(e.what());
            QCOMPARE(int(e.kind()), int(ErrorKind::Format));
            QVERIFY2(message.contains(QString::fromStdString(kOrigin)), qPrintable(message));
            for (const QString& phrase : phrases)
                QVERIFY2(message.contains(phrase), qPrintable(message));
        }
    }

    void corruptFileOnDiskNamesThePath() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("bad.safetensors").toStdString();
        writeFileAtomically(path, rawFile("[]", 0));
        try {
            readSafetensors(path);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Format));
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
        }
    }

    void missingFileIsIo() {
        const std::string path = "/nonexistent-cmstudio/missing.safetensors";
        try {
            readSafetensors(path);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Io));
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
        }
    }

    void directoryIsIo() {
        QTemporaryDir dir;
        try {
            readSafetensors(dir.path().toStdString());
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Io));
        }
    }

    void serializeRejectsBadRecords_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("byteDelta");
        QTest::addColumn<bool>("negativeDim");
        QTest::newRow("one byte too many") << "w" << 1 << false;
        QTest::newRow("one byte too few") << "w" << -1 << false;
        QTest::newRow("negative dimension") << "w" << 0 << true;
        QTest::newRow("reserved name") << "__metadata__" << 0 << false;
    }
    void serializeRejectsBadRecords() {
        QFETCH(QString, name);
        QFETCH(int, byteDelta);
        QFETCH(bool, negativeDim);
        SafetensorsFile file;
        TensorRecord record = makeRecord(DType::F32, {2, 2}, 1);
        record.bytes.resize(std::size_t(long(record.bytes.size()) + byteDelta));
        if (negativeDim) record.shape = {-2, -2};
        file.tensors[name.toStdString()] = record;
        try {
            serializeSafetensors(file);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::InvalidArgument));
        }
    }

    void writeIntoMissingDirectoryIsIo() {
        QTemporaryDir dir;
        const QString missing = dir.filePath("no/such/dir");
        const std::string path = (missing + "/model.safetensors").toStdString();
        try {
            writeSafetensors(path, sampleFile());
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(int(e.kind()), int(ErrorKind::Io));
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path)), e.what());
        }
        QVERIFY(!QFileInfo::exists(missing));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(),
                 0);
    }

    void failedWriteLeavesOldFileIntact() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("model.safetensors").toStdString();
        writeSafetensors(path, sampleFile());
        const std::vector<uint8_t> before = readWholeFile(path);

        SafetensorsFile bad = sampleFile();
        bad.tensors["zz"] = makeRecord(DType::F32, {3}, 9);
        bad.tensors["zz"].bytes.pop_back();
        QVERIFY_THROWS_EXCEPTION(Error, writeSafetensors(path, bad));
        QVERIFY(readWholeFile(path) == before);
        QVERIFY(tempLeftovers(dir.path()).isEmpty());

        // A failure at rename time (the target is a directory) also removes the temporary file.
        const std::string dirTarget = dir.filePath("occupied").toStdString();
        QVERIFY(QDir(dir.path()).mkpath("occupied/child"));
        QVERIFY_THROWS_EXCEPTION(Error, writeSafetensors(dirTarget, sampleFile()));
        QVERIFY(tempLeftovers(dir.path()).isEmpty());
    }

    void everyTruncationIsRejected() {
        const std::vector<uint8_t> good = serializeSafetensors(sampleFile());
        for (std::size_t length = 0; length < good.size(); ++length) {
            const std::vector<uint8_t> cut(good.begin(), good.begin() + long(length));
            bool threw = false;
            try {
                parseSafetensors(cut, kOrigin);
            } catch (const Error& e) {
                threw = e.kind() == ErrorKind::Format;
            }
            QVERIFY2(threw, qPrintable(QString("length %1 of %2").arg(length).arg(good.size())));
        }
    }

    void randomDamageNeverCrashes() {
        const std::vector<uint8_t> good = serializeSafetensors(sampleFile());
        std::mt19937 rng(20240611);
        std::uniform_int_distribution<std::size_t> position(0, good.size() - 1);
        std::uniform_int_distribution<int> byte(0, 255), flips(1, 4);
        // Bytes that turn JSON digits and punctuation into other plausible tokens find more paths.
        const char interesting[] = "0123456789-[]{},:\"e.E+ ";
        std::uniform_int_distribution<std::size_t> pick(0, sizeof interesting - 2);
        int parsed = 0, rejected = 0;
        for (int round = 0; round < 4000; ++round) {
            std::vector<uint8_t> damaged = good;
            const int n = flips(rng);
            for (int i = 0; i < n; ++i) {
                const std::size_t at = position(rng);
                damaged[at] = round % 2 ? uint8_t(byte(rng)) : uint8_t(interesting[pick(rng)]);
            }
            try {
                const SafetensorsFile file = parseSafetensors(damaged, kOrigin);
                for (const auto& entry : file.tensors)
                    QCOMPARE(entry.second.bytes.size(),
                             std::size_t(entry.second.elementCount()) * dtypeSize(entry.second.dtype));
                ++parsed;
            } catch (const Error&) {
                ++rejected;
            }
        }
        QVERIFY(rejected > 0);
        QVERIFY(parsed > 0); // damage inside tensor data is not detectable and must still parse
    }

    // Found by fuzzing and a corrupt-file campaign: deep nesting (once a stack overflow in the error
    // message), giant or hostile text in names and fields, and what the reader decides about JSON the format
    // leaves open.
    void hostileHeadersGetShortTypedErrors_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QStringList>("phrases");
        const auto deep = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
        const auto header = [](const std::string& json, std::size_t dataSize = 0) {
            return toQBytes(rawFile(json, dataSize));
        };
        QTest::newRow("80,000 levels as a tensor")
            << header("{\"w\": " + deep(80000) + "}") << QStringList{"nested deeper"};
        QTest::newRow("80,000 levels in data_offsets")
            << header("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": " + deep(80000) + "}}",
                      1)
            << QStringList{"nested deeper"};
        QTest::newRow("80,000 levels in metadata")
            << header("{\"__metadata__\": {\"format\": " + deep(80000) + "}}")
            << QStringList{"nested deeper"};
        QTest::newRow("deep data_offsets within the limit")
            << header("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": " + deep(60) + "}}", 1)
            << QStringList{"'w'", "data_offsets", "an array of 1 values"};
        QTest::newRow("10 MB tensor name") << header("{\"" + std::string(10 << 20, 'n') + "\": 5}")
                                           << QStringList{"nnnn", "(10485760 bytes)"};
        QTest::newRow("10 MB metadata key")
            << header("{\"__metadata__\": {\"" + std::string(10 << 20, 'k') + "\": 1}}")
            << QStringList{"(10485760 bytes)"};
        std::string shape = "[1";
        for (int i = 1; i < 5000; ++i)
            shape += ", 1";
        QTest::newRow("5,000 dimensions")
            << header("{\"w\": {\"dtype\": \"U8\", \"shape\": " + shape + "], \"data_offsets\": [0, 2]}}", 2)
            << QStringList{"[1, 1, 1, 1, 1, 1, 1, 1, ... (5000 dimensions)]", "needs 1 bytes"};
        QTest::newRow("escape sequence in a name")
            << header("{\"\\u001b[2J\\nrm\": 5}") << QStringList{"'\\x1b[2J\\nrm'"};
        QTest::newRow("duplicate tensor")
            << header("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}, "
                      "\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}",
                      1)
            << QStringList{"\"w\" occurs twice"};
        QTest::newRow("duplicate metadata key")
            << header("{\"__metadata__\": {\"format\": \"a\", \"format\": \"cmstudio-model\"}}")
            << QStringList{"\"format\" occurs twice"};
        QTest::newRow("duplicate field") << header("{\"w\": {\"dtype\": \"I32\", \"dtype\": \"U8\", "
                                                   "\"shape\": [1], \"data_offsets\": [0, 1]}}",
                                                   1)
                                         << QStringList{"\"dtype\" occurs twice"};
        QByteArray withNul = header("{\"__metadata__\": {\"a\": \"b\"}}  ");
        withNul[8 + 29] = '\0';
        QTest::newRow("NUL padding") << withNul << QStringList{"NUL byte at offset 29"};
        QTest::newRow("byte-order mark") << header("\xEF\xBB\xBF{}") << QStringList{"byte-order mark"};
        QTest::newRow("number beyond double")
            << header("{\"w\": {\"dtype\": \"U8\", \"shape\": [1e400], \"data_offsets\": [0, 1]}}", 1)
            << QStringList{"not valid JSON", "1e400"};
        QTest::newRow("10 MB invalid string") << header("{\"w\": \"" + std::string(10 << 20, 'x') + "\x01\"}")
                                              << QStringList{"not valid JSON", "bytes)"};
    }
    void hostileHeadersGetShortTypedErrors() {
        QFETCH(QByteArray, bytes);
        QFETCH(QStringList, phrases);
        try {
            parseSafetensors(fromQBytes(bytes), kOrigin);
            QFAIL("no error");
        } catch (const Error& e) {
            const QString message = QString::fromUtf8(e.what());
            QCOMPARE(int(e.kind()), int(ErrorKind::Format));
            QVERIFY2(message.startsWith(QString::fromStdString(kOrigin)), qPrintable(message.left(300)));
            QVERIFY2(message.size() < 400, qPrintable(message.left(300)));
            for (const QString& phrase : phrases)
                QVERIFY2(message.contains(phrase), qPrintable(message.left(300)));
            for (const QChar c : message)
                QVERIFY2(c.unicode() >= 0x20, qPrintable(message)); // one line, no terminal controls
        }
    }

    void whitespaceAroundTheHeaderIsAllowed() {
        const SafetensorsFile file =
            parseSafetensors(rawFile(" \n{\"__metadata__\": {\"a\": \"b\"}}  ", 0), kOrigin);
        QCOMPARE(file.metadata.at("a"), std::string("b"));
    }

    // A large file that is not safetensors is refused after its first bytes, not after reading it all.
    void largeNonModelFileIsRefusedUnread() {
        QTemporaryDir dir;
        const QString path = dir.filePath("video.safetensors");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("RIFF\x10\0\0\0AVI LIST");
        QVERIFY(file.resize(qint64(1) << 30)); // sparse: 1 GB that costs no disk
        file.close();
        const long before = peakResidentKilobytes();
        QElapsedTimer timer;
        timer.start();
        const Error e = expectError([&] { readSafetensors(path.toStdString()); });
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains("header length"), e.what());
        QVERIFY2(peakResidentKilobytes() - before < 64 * 1024,
                 qPrintable(QString::number(peakResidentKilobytes() - before)));
    }

    void fileAndMemoryReadersAgree() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("model.safetensors").toStdString();
        writeSafetensors(path, sampleFile());
        compareFiles(readSafetensors(path), parseSafetensors(readWholeFile(path), path));
        // A file that shrinks below what its header promises is an error, not a short read.
        std::vector<uint8_t> bytes = readWholeFile(path);
        bytes.resize(bytes.size() - 1);
        writeFileAtomically(path, bytes);
        QVERIFY(
            QString(expectError([&] { readSafetensors(path); }).what()).contains("beyond the data section"));
        QCOMPARE(int(expectError([&] { readSafetensors("/dev/null"); }).kind()), int(ErrorKind::Io));
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
