// Reading torch.save'd state dicts without torch: the committed fixtures written by PyTorch itself
// (tests/data/torch_files/make_fixtures.py) checked value by value, archives and pickles built here to
// cover the parts PyTorch does not write (ZIP64, every opcode it may use), and a table of hostile files
// (damaged zips, forbidden globals and opcodes, absurd shapes) that must each give a typed cm::Error
// naming the problem. Runs under ASan + UBSan too.
#include "core/error.h"
#include "core/torch_file.h"

#include "expect_error.h"
#include "file_fixtures.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cstring>
#include <random>

using namespace cm;
using namespace std::string_literals;

namespace {

const QString kFixtures = QStringLiteral(CMSTUDIO_TEST_DATA_DIR "/torch_files/");

std::string fixturePath(const char* name) {
    return (kFixtures + name).toStdString();
}

std::vector<uint8_t> readFixture(const char* name) {
    QFile file(kFixtures + name);
    if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read fixture %s", name);
    const QByteArray bytes = file.readAll();
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

template <typename T> std::vector<T> valuesOf(const TensorRecord& record) {
    std::vector<T> values(record.bytes.size() / sizeof(T));
    std::memcpy(values.data(), record.bytes.data(), values.size() * sizeof(T));
    return values;
}

std::vector<float> arange(int count, float step = 1, float start = 0) {
    std::vector<float> values;
    for (int i = 0; i < count; ++i)
        values.push_back(start + step * float(i));
    return values;
}

// --- a little-endian byte writer, a zip writer and a pickle builder for hand-made files ---

std::string le(uint64_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i)
        out += char(uint8_t(value >> (8 * i)));
    return out;
}

void put(std::string& bytes, std::size_t offset, uint64_t value, int size) {
    bytes.replace(offset, std::size_t(size), le(value, size));
}

struct ZipSpec {
    std::string name;
    std::string data;
    uint16_t method = 0;
    uint16_t flags = 0;
};

// Where the writer put each record, so that tests can damage exactly one field.
struct ZipImage {
    std::string bytes;
    std::vector<std::size_t> localHeaders;
    std::vector<std::size_t> centralHeaders;
    std::size_t endRecord = 0;
};

// A stored zip like torch.save's: local headers (with torch's alignment padding when `pad`), central
// directory, end record; with `zip64`, sizes and offsets live in ZIP64 extra fields and records.
ZipImage writeZip(const std::vector<ZipSpec>& entries, bool zip64 = false, bool pad = false) {
    ZipImage zip;
    std::string& out = zip.bytes;
    const uint32_t unknown32 = 0xFFFFFFFF;
    for (const ZipSpec& entry : entries) {
        zip.localHeaders.push_back(out.size());
        const std::string extra = pad ? "FB" + le(6, 2) + std::string(6, 'Z') : std::string();
        out += le(0x04034b50, 4) + le(zip64 ? 45 : 20, 2) + le(entry.flags, 2) + le(entry.method, 2) +
               le(0, 4) + le(0, 4) + le(entry.data.size(), 4) + le(entry.data.size(), 4) +
               le(entry.name.size(), 2) + le(extra.size(), 2) + entry.name + extra + entry.data;
    }
    const std::size_t centralStart = out.size();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ZipSpec& entry = entries[i];
        zip.centralHeaders.push_back(out.size());
        const uint64_t size = entry.data.size(), offset = zip.localHeaders[i];
        const std::string extra =
            zip64 ? le(1, 2) + le(24, 2) + le(size, 8) + le(size, 8) + le(offset, 8) : "";
        out += le(0x02014b50, 4) + le(45, 2) + le(zip64 ? 45 : 20, 2) + le(entry.flags, 2) +
               le(entry.method, 2) + le(0, 4) + le(0, 4) + le(zip64 ? unknown32 : size, 4) +
               le(zip64 ? unknown32 : size, 4) + le(entry.name.size(), 2) + le(extra.size(), 2) + le(0, 2) +
               le(0, 2) + le(0, 2) + le(0, 4) + le(zip64 ? unknown32 : offset, 4) + entry.name + extra;
    }
    const std::size_t centralSize = out.size() - centralStart;
    if (zip64) {
        const std::size_t zip64End = out.size();
        out += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) +
               le(entries.size(), 8) + le(entries.size(), 8) + le(centralSize, 8) + le(centralStart, 8);
        out += le(0x07064b50, 4) + le(0, 4) + le(zip64End, 8) + le(1, 4);
    }
    zip.endRecord = out.size();
    out += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(zip64 ? 0xFFFF : entries.size(), 2) +
           le(zip64 ? 0xFFFF : entries.size(), 2) + le(zip64 ? unknown32 : centralSize, 4) +
           le(zip64 ? unknown32 : centralStart, 4) + le(0, 2);
    return zip;
}

// Pickle opcodes, spelled like pickletools shows them.
std::string unicode(const std::string& text) {
    return "X" + le(text.size(), 4) + text;
}
std::string global(const std::string& module, const std::string& name) {
    return "c" + module + "\n" + name + "\n";
}
std::string integer(int64_t value) {
    if (value >= INT32_MIN && value <= INT32_MAX) return "J" + le(uint64_t(value), 4);
    return "\x8a\x08" + le(uint64_t(value), 8); // LONG1
}
std::string intTuple(const std::vector<int64_t>& values) {
    std::string out = "(";
    for (int64_t v : values)
        out += integer(v);
    return out + "t";
}
const std::string kNewFalse = "\x89";
const std::string kEmptyOrderedDict = global("collections", "OrderedDict") + ")R";

std::string storageId(const std::string& type, const std::string& key, int64_t numel) {
    return "(" + unicode("storage") + global("torch", type) + unicode(key) + unicode("cpu") + integer(numel) +
           "tQ";
}

// torch._utils._rebuild_tensor_v2 called with the pickled `args`.
std::string rebuildCall(const std::string& args) {
    return global("torch._utils", "_rebuild_tensor_v2") + "(" + args + "tR";
}

std::string tensor(const std::string& id, int64_t offset, const std::vector<int64_t>& size,
                   const std::vector<int64_t>& stride, const std::string& extraArgs = "") {
    return rebuildCall(id + integer(offset) + intTuple(size) + intTuple(stride) + kNewFalse +
                       kEmptyOrderedDict + extraArgs);
}

std::string floatTensor(int64_t numel = 4, int64_t offset = 0, const std::vector<int64_t>& size = {4},
                        const std::vector<int64_t>& stride = {1}, const std::string& type = "FloatStorage") {
    return tensor(storageId(type, "0", numel), offset, size, stride);
}

std::string dictPickle(const std::vector<std::pair<std::string, std::string>>& items) {
    std::string out = "\x80\x02}(";
    for (const auto& [key, value] : items)
        out += unicode(key) + value;
    return out + "u.";
}

std::string floatBytes(const std::vector<float>& values) {
    std::string out(values.size() * 4, '\0');
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

// A torch.save-like archive: archive/data.pkl, archive/data/<key>, archive/version.
std::vector<ZipSpec> archiveEntries(const std::string& pickle,
                                    const std::vector<std::pair<std::string, std::string>>& storages = {
                                        {"0", floatBytes({1, 2, 3, 4})}}) {
    std::vector<ZipSpec> entries{{"archive/data.pkl", pickle}};
    for (const auto& [key, data] : storages)
        entries.push_back({"archive/data/" + key, data});
    entries.push_back({"archive/version", "3\n"});
    return entries;
}

std::string archive(const std::string& pickle,
                    const std::vector<std::pair<std::string, std::string>>& storages = {
                        {"0", floatBytes({1, 2, 3, 4})}}) {
    return writeZip(archiveEntries(pickle, storages)).bytes;
}

std::vector<uint8_t> toVector(const std::string& bytes) {
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}
QByteArray toQBytes(const std::string& bytes) {
    return QByteArray(bytes.data(), qsizetype(bytes.size()));
}

TorchStateDict parse(const std::string& bytes) {
    return parseTorchStateDict(toVector(bytes), "hand.pt");
}

// Runs the reader on bytes that may be hostile: any outcome but a cm::Error or a result is a bug.
void parseMustNotCrash(const std::vector<uint8_t>& bytes) {
    try {
        const TorchStateDict dict = parseTorchStateDict(bytes, "damaged.pt");
        for (const std::string& name : dict.order) {
            const TensorRecord& record = dict.tensors.at(name);
            QCOMPARE(record.bytes.size(), std::size_t(record.elementCount()) * dtypeSize(record.dtype));
        }
    } catch (const Error& e) {
        QVERIFY2(e.kind() == ErrorKind::Format, e.what());
    }
}

// Short, one line, no control bytes (file content is escaped and cut by cm::describeUntrusted).
void checkMessageIsSafe(const std::string& message) {
    QVERIFY2(message.size() < 600, message.c_str());
    for (const char c : message)
        QVERIFY2(uint8_t(c) >= 0x20 && uint8_t(c) != 0x7f, message.c_str());
}

} // namespace

class TestTorchFile : public QObject {
    Q_OBJECT

  private slots:
    void moduleStateDict() {
        // tiny_module.pt: tensor k of the state dict holds arange(numel) * 0.25 - k.
        const TorchStateDict dict = readTorchStateDict(fixturePath("tiny_module.pt"));
        const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
            {"conv.weight", {4, 2, 3, 3}},
            {"conv.bias", {4}},
            {"norm.weight", {4}},
            {"norm.bias", {4}},
            {"bn.weight", {4}},
            {"bn.bias", {4}},
            {"bn.running_mean", {4}},
            {"bn.running_var", {4}},
            {"bn.num_batches_tracked", {}},
            {"fc.weight", {2, 4}},
            {"fc.bias", {2}},
        };
        QCOMPARE(dict.order.size(), expected.size());
        QCOMPARE(dict.tensors.size(), expected.size());
        for (std::size_t k = 0; k < expected.size(); ++k) {
            const auto& [name, shape] = expected[k];
            QCOMPARE(dict.order[k], name);
            const TensorRecord& record = dict.tensors.at(name);
            QCOMPARE(record.shape, shape);
            if (name == "bn.num_batches_tracked") {
                QCOMPARE(int(record.dtype), int(DType::I64));
                QCOMPARE(valuesOf<int64_t>(record), std::vector<int64_t>{7});
                continue;
            }
            QCOMPARE(int(record.dtype), int(DType::F32));
            QCOMPARE(valuesOf<float>(record), arange(int(record.elementCount()), 0.25f, -float(k)));
        }
    }

    void everyDtype() {
        const TorchStateDict dict = readTorchStateDict(fixturePath("dtypes.pt"));
        QCOMPARE(dict.order,
                 (std::vector<std::string>{"half", "bfloat16", "double", "int32", "int64", "uint8"}));
        const TensorRecord& half = dict.tensors.at("half");
        QCOMPARE(int(half.dtype), int(DType::F16));
        QCOMPARE(half.shape, (std::vector<int64_t>{2, 3}));
        // -1, -0.5, 0, 0.5, 1, 1.5 in IEEE half precision.
        QCOMPARE(valuesOf<uint16_t>(half),
                 (std::vector<uint16_t>{0xBC00, 0xB800, 0x0000, 0x3800, 0x3C00, 0x3E00}));
        const TensorRecord& bfloat16 = dict.tensors.at("bfloat16");
        QCOMPARE(int(bfloat16.dtype), int(DType::BF16));
        // 0, 0.25, 0.5, 0.75, 1: the upper halves of the float32 bit patterns.
        QCOMPARE(valuesOf<uint16_t>(bfloat16),
                 (std::vector<uint16_t>{0x0000, 0x3E80, 0x3F00, 0x3F40, 0x3F80}));
        QCOMPARE(int(dict.tensors.at("double").dtype), int(DType::F64));
        QCOMPARE(valuesOf<double>(dict.tensors.at("double")), (std::vector<double>{0, 0.125, 0.25}));
        QCOMPARE(int(dict.tensors.at("int32").dtype), int(DType::I32));
        QCOMPARE(valuesOf<int32_t>(dict.tensors.at("int32")), (std::vector<int32_t>{-2, -1, 0, 1}));
        QCOMPARE(valuesOf<int64_t>(dict.tensors.at("int64")),
                 (std::vector<int64_t>{0, 1000000000000, 2000000000000}));
        QCOMPARE(int(dict.tensors.at("uint8").dtype), int(DType::U8));
        QCOMPARE(dict.tensors.at("uint8").bytes, (std::vector<uint8_t>{250, 251, 252, 253, 254, 255}));
    }

    void viewsAndSharedStorage() {
        // Six views of one storage, arange(12), and an expanded (stride 0) tensor.
        const TorchStateDict dict = readTorchStateDict(fixturePath("views.pt"));
        const auto values = [&](const char* name) { return valuesOf<float>(dict.tensors.at(name)); };
        const auto shape = [&](const char* name) { return dict.tensors.at(name).shape; };
        QCOMPARE(shape("transposed"), (std::vector<int64_t>{4, 3}));
        QCOMPARE(values("transposed"), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
        QCOMPARE(values("head"), arange(5));
        QCOMPARE(values("tail"), arange(7, 1, 5));
        QCOMPARE(values("every_other"), arange(6, 2));
        QCOMPARE(values("column"), (std::vector<float>{1, 5, 9}));
        QCOMPARE(shape("block"), (std::vector<int64_t>{2, 2}));
        QCOMPARE(values("block"), (std::vector<float>{5, 6, 9, 10}));
        QCOMPARE(shape("expanded"), (std::vector<int64_t>{3, 4}));
        QCOMPARE(values("expanded"), (std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
    }

    void nestedDictsProtocol4AndParameters() {
        // Saved with pickle protocol 4; "ema.w" is an nn.Parameter; numbers, strings, None and a list of
        // ints beside the tensors are skipped.
        const TorchStateDict dict = readTorchStateDict(fixturePath("nested.pt"));
        QCOMPARE(dict.order,
                 (std::vector<std::string>{"state_dict.layer.weight", "state_dict.layer.bias", "ema.w"}));
        QCOMPARE(dict.tensors.at("state_dict.layer.weight").shape, (std::vector<int64_t>{2, 3}));
        QCOMPARE(valuesOf<float>(dict.tensors.at("state_dict.layer.weight")), arange(6));
        QCOMPARE(valuesOf<float>(dict.tensors.at("state_dict.layer.bias")), (std::vector<float>{-1, 1}));
        QCOMPARE(valuesOf<float>(dict.tensors.at("ema.w")), (std::vector<float>{0.5f, 0.5f}));
    }

    void scalarAndEmptyTensors() {
        const TorchStateDict dict = readTorchStateDict(fixturePath("scalar_empty.pt"));
        const TensorRecord& scalar = dict.tensors.at("scalar");
        QCOMPARE(scalar.shape, std::vector<int64_t>{});
        QCOMPARE(valuesOf<float>(scalar), std::vector<float>{2.5f});
        QCOMPARE(valuesOf<int64_t>(dict.tensors.at("long_scalar")), std::vector<int64_t>{-9});
        const TensorRecord& empty = dict.tensors.at("empty");
        QCOMPARE(empty.shape, (std::vector<int64_t>{0, 3}));
        QVERIFY(empty.bytes.empty());
    }

    void realisticNetworkMatchesPyTorch() {
        // conv_net.pt: seeded random weights of a conv net with GroupNorm and Linear; the JSON holds
        // PyTorch's own SHA-256 of each tensor's contiguous bytes.
        QFile json(kFixtures + "conv_net.sha256.json");
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonArray expected = QJsonDocument::fromJson(json.readAll()).array();
        QCOMPARE(expected.size(), 10);
        const TorchStateDict dict = readTorchStateDict(fixturePath("conv_net.pt"));
        QCOMPARE(dict.order.size(), std::size_t(expected.size()));
        for (int i = 0; i < expected.size(); ++i) {
            const QJsonObject entry = expected[i].toObject();
            const std::string name = entry["name"].toString().toStdString();
            QCOMPARE(dict.order[std::size_t(i)], name);
            const TensorRecord& record = dict.tensors.at(name);
            QCOMPARE(entry["dtype"].toString(), QString("torch.float32"));
            QCOMPARE(int(record.dtype), int(DType::F32));
            std::vector<int64_t> shape;
            for (const QJsonValue d : entry["shape"].toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(record.shape, shape);
            const QByteArray hash =
                QCryptographicHash::hash(QByteArrayView(reinterpret_cast<const char*>(record.bytes.data()),
                                                        qsizetype(record.bytes.size())),
                                         QCryptographicHash::Sha256);
            QCOMPARE(QString(hash.toHex()), entry["sha256"].toString());
        }
    }

    void fileAndMemoryAgree() {
        for (const char* name : {"tiny_module.pt", "views.pt", "nested.pt", "conv_net.pt"}) {
            const TorchStateDict fromFile = readTorchStateDict(fixturePath(name));
            const TorchStateDict fromMemory = parseTorchStateDict(readFixture(name), name);
            QCOMPARE(fromFile.order, fromMemory.order);
            for (const std::string& tensorName : fromFile.order)
                QVERIFY(fromFile.tensors.at(tensorName).bytes == fromMemory.tensors.at(tensorName).bytes);
        }
    }

    void looksLikeTorchZipChecksTheMagic() {
        QVERIFY(looksLikeTorchZip(fixturePath("tiny_module.pt")));
        QVERIFY(!looksLikeTorchZip(fixturePath("conv_net.sha256.json")));
        QVERIFY(!looksLikeTorchZip(fixturePath("no_such_file.pt")));
        QVERIFY(!looksLikeTorchZip(kFixtures.toStdString())); // a folder
        QVERIFY(!looksLikeTorchZip("/dev/zero"));
        QTemporaryDir dir;
        QVERIFY(!looksLikeTorchZip(cmtest::writeFile(dir.filePath("short.pt"), "PK").toStdString()));
    }

    void unreadableFilesAreIoErrors() {
        const Error missing = cmtest::expectError([] { readTorchStateDict(fixturePath("no_such_file.pt")); });
        QCOMPARE(int(missing.kind()), int(ErrorKind::Io));
        QVERIFY2(QString(missing.what()).contains("no_such_file.pt"), missing.what());
        const Error folder = cmtest::expectError([] { readTorchStateDict(kFixtures.toStdString()); });
        QCOMPARE(int(folder.kind()), int(ErrorKind::Io));
        const Error device = cmtest::expectError([] { readTorchStateDict("/dev/null"); });
        QCOMPARE(int(device.kind()), int(ErrorKind::Io));
        QVERIFY2(QString(device.what()).contains("not a regular file"), device.what());

        // A damaged file on disk is a format error naming the path.
        QTemporaryDir dir;
        std::vector<uint8_t> bytes = readFixture("views.pt");
        const QString path = cmtest::writeFile(dir.filePath("cut.pt"),
                                               QByteArray(reinterpret_cast<const char*>(bytes.data()), 600));
        const Error cut = cmtest::expectError([&] { readTorchStateDict(path.toStdString()); });
        QCOMPARE(int(cut.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(cut.what()).startsWith(path + ": "), cut.what());
    }

    void handMadeArchives() {
        // The writer's own archive, with torch's alignment padding in the local headers.
        const TorchStateDict padded =
            parse(writeZip(archiveEntries(dictPickle({{"w", floatTensor()}})), false, true).bytes);
        QCOMPARE(valuesOf<float>(padded.tensors.at("w")), (std::vector<float>{1, 2, 3, 4}));

        // ZIP64: sizes and offsets only in the ZIP64 extra fields and end record (files over 4 GiB).
        const TorchStateDict zip64 =
            parse(writeZip(archiveEntries(dictPickle({{"w", floatTensor()}})), true).bytes);
        QCOMPARE(valuesOf<float>(zip64.tensors.at("w")), (std::vector<float>{1, 2, 3, 4}));

        // An entry longer than its storage needs is accepted (PyTorch does too); only the needed bytes are
        // read.
        const TorchStateDict longer =
            parse(archive(dictPickle({{"w", floatTensor(2, 0, {2})}}), {{"0", floatBytes({5, 6, 7})}}));
        QCOMPARE(valuesOf<float>(longer.tensors.at("w")), (std::vector<float>{5, 6}));

        // PyTorch 2 adds a 7th argument (metadata), a byteorder entry and integer keys appear in
        // nested dicts; lists of tensors are named by index.
        const std::string withMetadata = tensor(storageId("FloatStorage", "0", 4), 1, {3}, {1}, "}");
        const std::string nested = "\x80\x02}(" + unicode("layers") + "}(" + integer(0) + withMetadata + "u" +
                                   unicode("ema") + "](" + floatTensor(4, 3, {1}) + floatTensor(4, 0, {2}) +
                                   "e" + "u.";
        std::vector<ZipSpec> entries = archiveEntries(nested);
        entries.insert(entries.begin(), ZipSpec{"archive/byteorder", "little"});
        const TorchStateDict dict = parse(writeZip(entries).bytes);
        QCOMPARE(dict.order, (std::vector<std::string>{"layers.0", "ema.0", "ema.1"}));
        QCOMPARE(valuesOf<float>(dict.tensors.at("layers.0")), (std::vector<float>{2, 3, 4}));
        QCOMPARE(valuesOf<float>(dict.tensors.at("ema.0")), (std::vector<float>{4}));
        QCOMPARE(valuesOf<float>(dict.tensors.at("ema.1")), (std::vector<float>{1, 2}));

        // Names are bytes as the file has them (UTF-8 here: "权重").
        const std::string utf8Name = "\xe6\x9d\x83\xe9\x87\x8d";
        QCOMPARE(parse(archive(dictPickle({{utf8Name, floatTensor()}}))).order,
                 std::vector<std::string>{utf8Name});

        // A 3-d view with strides in every dimension (odometer over two outer dimensions).
        std::vector<float> storage = arange(24);
        const TorchStateDict strided = parse(archive(
            dictPickle({{"v", floatTensor(24, 1, {2, 2, 3}, {12, 1, 4})}}), {{"0", floatBytes(storage)}}));
        QCOMPARE(valuesOf<float>(strided.tensors.at("v")),
                 (std::vector<float>{1, 5, 9, 2, 6, 10, 13, 17, 21, 14, 18, 22}));
    }

    void hostileFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QStringList>("phrases");

        const std::string good = archive(dictPickle({{"w", floatTensor()}}));
        const ZipImage image = writeZip(archiveEntries(dictPickle({{"w", floatTensor()}})));
        const auto damaged = [&](std::size_t offset, uint64_t value, int size) {
            std::string bytes = image.bytes;
            put(bytes, offset, value, size);
            return toQBytes(bytes);
        };
        const auto damagedEndRecord = [&](uint64_t entries, uint64_t directorySize) {
            std::string bytes = image.bytes;
            put(bytes, image.endRecord + 8, entries, 2);
            put(bytes, image.endRecord + 10, entries, 2);
            put(bytes, image.endRecord + 12, directorySize, 4);
            return toQBytes(bytes);
        };
        const auto row = [](const char* name, const std::string& bytes, QStringList phrases) {
            QTest::newRow(name) << toQBytes(bytes) << phrases;
        };
        const auto pickleRow = [&](const char* name, const std::string& pickle, QStringList phrases) {
            row(name, archive(pickle), phrases);
        };
        const auto tensorRow = [&](const char* name, const std::string& tensorPickle, QStringList phrases) {
            pickleRow(name, dictPickle({{"w", tensorPickle}}), phrases);
        };

        // Not a zip at all.
        row("empty file", "", {"not a PyTorch file"});
        row("text", "hello world", {"not a PyTorch file", "'hell'"});
        row("legacy pickle",
            "\x80\x02\x8a\x0a"
            "l\xfc\x9c"
            "F\xf9 j\xa8"
            "P\x19.",
            {"legacy PyTorch format", "before PyTorch 1.6", "torch.save(sd, path)"});
        row("zip magic only", "PK\3\4" + std::string(40, '\0'), {"no zip end-of-central-directory record"});

        // Damaged zips.
        row("truncated in the data", good.substr(0, good.size() / 2),
            {"end-of-central-directory", "truncated"});
        row("truncated in the end record", good.substr(0, good.size() - 5), {"end-of-central-directory"});
        const std::size_t end = image.endRecord;
        QTest::newRow("central directory offset past the end")
            << damaged(end + 16, 0x7FFFFFF0, 4) << QStringList{"central directory", "lies outside"};
        QTest::newRow("central directory size past the end")
            << damaged(end + 12, 0x10000, 4) << QStringList{"central directory", "lies outside"};
        QTest::newRow("central directory offset too low")
            << damaged(end + 16, 3, 4) << QStringList{"central directory entry 0", "not a central header"};
        QTest::newRow("entry count too large")
            << damagedEndRecord(60000, end - image.centralHeaders[0]) << QStringList{"claims 60000 entries"};
        QTest::newRow("no entries") << damagedEndRecord(0, 0) << QStringList{"the zip archive is empty"};
        QTest::newRow("several disks") << damaged(end + 4, 1, 2) << QStringList{"several disks"};
        const std::size_t pickleHeader = image.centralHeaders[0];
        QTest::newRow("local header offset past the data")
            << damaged(pickleHeader + 42, 0x7FFFFFF0, 4)
            << QStringList{"'archive/data.pkl'", "local header at offset", "outside"};
        QTest::newRow("local header signature")
            << damaged(image.localHeaders[1], 0x12345678, 4)
            << QStringList{"zip entry 'archive/data/0' has no local header"};
        std::string hugeEntry = image.bytes;
        put(hugeEntry, pickleHeader + 20, 0x7FFFFFF0, 4);
        put(hugeEntry, pickleHeader + 24, 0x7FFFFFF0, 4);
        row("entry size past the data", hugeEntry, {"'archive/data.pkl'", "past the archive's data area"});
        QTest::newRow("stored sizes differ")
            << damaged(pickleHeader + 20, 1, 4) << QStringList{"compressed size 1 differs"};
        QTest::newRow("local name differs")
            << damaged(image.localHeaders[0] + 30, 'b', 1) << QStringList{"names a different entry"};
        QTest::newRow("ZIP64 placeholder without extra field")
            << damaged(pickleHeader + 42, 0xFFFFFFFF, 4) << QStringList{"ZIP64 extra field"};
        std::vector<ZipSpec> entries = archiveEntries(dictPickle({{"w", floatTensor()}}));
        entries[0].method = 8;
        row("deflated entry", writeZip(entries).bytes,
            {"zip entry 'archive/data.pkl' is compressed (deflate)", "torch.save"});
        entries[0].method = 12;
        row("bzip2 entry", writeZip(entries).bytes, {"compression method 12"});
        entries[0].method = 0;
        entries[0].flags = 1;
        row("encrypted entry", writeZip(entries).bytes, {"encrypted"});
        entries[0].flags = 0;
        entries.push_back(entries[1]);
        row("duplicate entry", writeZip(entries).bytes, {"'archive/data/0'", "appears twice"});
        row("empty zip", writeZip({}).bytes, {"not a PyTorch file", "'PK\\x05\\x06'"});
        row("entries in two folders",
            writeZip(
                {{"archive/data.pkl", dictPickle({{"w", floatTensor()}})}, {"other/data/0", floatBytes({1})}})
                .bytes,
            {"different top-level folders"});
        row("entry outside a folder", writeZip({{"data.pkl", "."}}).bytes,
            {"'data.pkl'", "top-level folder"});
        row("no data.pkl", writeZip({{"archive/version", "3"}}).bytes, {"no 'archive/data.pkl'"});
        std::vector<ZipSpec> bigEndian = archiveEntries(dictPickle({{"w", floatTensor()}}));
        bigEndian.push_back({"archive/byteorder", "big"});
        row("big-endian byteorder", writeZip(bigEndian).bytes, {"byteorder 'big'", "little-endian"});

        // Tensors that do not fit their storages.
        row("missing storage entry",
            archive(dictPickle({{"w", floatTensor()}}), {{"1", floatBytes({1, 2, 3, 4})}}),
            {"tensor 'w'", "storage '0' is missing", "'archive/data/0'"});
        tensorRow("shape reaches past the storage", floatTensor(4, 0, {8}),
                  {"tensor 'w'", "reach past the end", "4 elements"});
        tensorRow("stride reaches past the storage", floatTensor(4, 0, {2, 2}, {3, 1}),
                  {"reach past the end"});
        tensorRow("storage entry too short", floatTensor(8, 0, {8}),
                  {"claims 8 elements of F32 (32 bytes)", "holds only 16 bytes"});
        tensorRow("storage offset past the end", floatTensor(4, 10, {1}),
                  {"storage offset 10 lies beyond", "4 elements"});
        tensorRow("empty tensor offset past the end", floatTensor(4, 10, {0}),
                  {"storage offset 10 lies beyond"});
        tensorRow("2^40 elements", floatTensor(int64_t(1) << 40, 0, {int64_t(1) << 40}),
                  {"claims 1099511627776 elements", "holds only 16 bytes"});
        tensorRow("2^62 elements of 8 bytes", floatTensor(int64_t(1) << 62, 0, {1}, {1}, "DoubleStorage"),
                  {"over 2^64"});
        tensorRow("2^40 elements expanded from one", floatTensor(4, 0, {int64_t(1) << 40}, {0}),
                  {"tensor 'w'", "would hold more than"});
        tensorRow("shape overflows", floatTensor(4, 0, {1 << 30, 1 << 30, 1 << 30}, {0, 0, 0}), {"overflow"});
        tensorRow("stride overflows", floatTensor(4, 0, {5}, {INT64_MAX}), {"overflow"});
        tensorRow("negative size", floatTensor(4, 0, {-1}), {"negative size -1"});
        tensorRow("negative stride", floatTensor(4, 0, {2}, {-1}), {"negative stride -1"});
        tensorRow("negative offset", floatTensor(4, -2, {1}), {"negative storage offset -2"});
        tensorRow("negative numel", floatTensor(-4, 0, {1}), {"claims -4 elements"});
        tensorRow("17 dimensions",
                  floatTensor(4, 0, std::vector<int64_t>(17, 1), std::vector<int64_t>(17, 1)),
                  {"17 dimensions"});
        tensorRow("sizes and strides differ", floatTensor(4, 0, {2, 2}, {1}), {"2 sizes but 1 strides"});
        tensorRow("bool storage", floatTensor(4, 0, {4}, {1}, "BoolStorage"),
                  {"tensor 'w'", "torch.BoolStorage has no matching dtype"});
        tensorRow("short storage", floatTensor(4, 0, {2}, {1}, "ShortStorage"), {"torch.ShortStorage"});
        pickleRow("two tensors with one name",
                  dictPickle({{"a.b", floatTensor()}, {"a", "}" + unicode("b") + floatTensor() + "s"}}),
                  {"'a.b'", "occurs twice"});

        // Code the pickle would run, and globals that are not a state dict's.
        pickleRow("GLOBAL os.system", "\x80\x02" + global("os", "system") + unicode("echo hi") + "\x85R.",
                  {"forbidden global os.system", "at byte 2"});
        pickleRow("STACK_GLOBAL os.system",
                  "\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93" + unicode("echo hi") + "\x85R.",
                  {"forbidden global os.system"});
        pickleRow("builtins.eval", "\x80\x02" + global("builtins", "eval") + ".",
                  {"forbidden global builtins.eval"});
        pickleRow("posix.system", "\x80\x02" + global("posix", "system") + ".",
                  {"forbidden global posix.system"});
        pickleRow("a module class", "\x80\x02" + global("torch.nn.modules.conv", "Conv2d") + ".",
                  {"forbidden global torch.nn.modules.conv.Conv2d"});
        pickleRow("an unknown storage",
                  dictPickle({{"w", floatTensor(4, 0, {4}, {1}, "ComplexFloatStorage")}}),
                  {"forbidden global torch.ComplexFloatStorage"});
        pickleRow("control bytes in a global", "\x80\x02" + global("os\x1b[2J", "system") + ".",
                  {"forbidden global os\\x1b[2J.system"});
        pickleRow("a long global", "\x80\x02" + global(std::string(200, 'm'), "x") + ".",
                  {"forbidden global mmm", "bytes)"});
        pickleRow("a global without newline",
                  "\x80\x02"
                  "c" +
                      std::string(300, 'm'),
                  {"without a newline within 256 bytes"});
        pickleRow("REDUCE of a storage type", "\x80\x02" + global("torch", "FloatStorage") + ")R.",
                  {"REDUCE calls torch.FloatStorage"});
        pickleRow("REDUCE of a string", "\x80\x02" + unicode("os.system") + ")R.", {"REDUCE calls a string"});
        pickleRow("REDUCE with a list of arguments",
                  "\x80\x02" + kEmptyOrderedDict.substr(0, kEmptyOrderedDict.size() - 2) + "]R.",
                  {"REDUCE arguments must be a tuple"});
        pickleRow("OrderedDict with arguments", "\x80\x02" + global("collections", "OrderedDict") + "(]tR.",
                  {"OrderedDict is called with arguments"});
        pickleRow(
            "rebuild with a wrong argument",
            dictPickle({{"w", rebuildCall(storageId("FloatStorage", "0", 4) + unicode("0") + intTuple({4}) +
                                          intTuple({1}) + kNewFalse + kEmptyOrderedDict)}}),
            {"_rebuild_tensor_v2 argument 2 must be an int", "found a string"});
        pickleRow(
            "rebuild with 3 arguments",
            dictPickle({{"w", rebuildCall(storageId("FloatStorage", "0", 4) + integer(0) + intTuple({4}))}}),
            {"takes 6 or 7 arguments, found 3"});
        pickleRow("a parameter of a string",
                  dictPickle({{"w", global("torch._utils", "_rebuild_parameter") + "(" + unicode("x") +
                                        kNewFalse + kEmptyOrderedDict + "tR"}}),
                  {"_rebuild_parameter takes (tensor"});
        pickleRow("a persistent id that is not a storage", dictPickle({{"w", unicode("x") + "Q"}}),
                  {"persistent id must be ('storage'", "found a string"});
        pickleRow("BUILD on a list", "\x80\x02]}b.", {"BUILD sets the state of a list"});

        // Opcodes outside the subset and malformed pickles.
        pickleRow("INST", "\x80\x02(ios\nsystem\n.", {"unsupported pickle opcode INST (0x69)"});
        pickleRow("NEWOBJ", "\x80\x02\x81.", {"unsupported pickle opcode NEWOBJ"});
        pickleRow("unknown opcode", "\x80\x02\xff.", {"unknown pickle opcode 0xff", "at byte 2"});
        pickleRow("protocol 6", "\x80\x06}.", {"pickle protocol 6 is not supported"});
        pickleRow("no STOP", "\x80\x02}", {"ends without a STOP"});
        pickleRow("truncated operand", "\x80\x02J\x01", {"ends inside BININT", "truncated"});
        pickleRow("string past the end",
                  "\x80\x02X\xff\xff\xff\x7f"
                  "abc.",
                  {"string of 2147483647 bytes runs past"});
        pickleRow("frame past the end", "\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00}."s,
                  {"frame of 255 bytes"});
        pickleRow("LONG1 of 9 bytes", "\x80\x02\x8a\x09" + std::string(9, '\1') + ".",
                  {"LONG1 integer of 9 bytes"});
        pickleRow("stack underflow", "\x80\x02\x86.", {"stack underflow", "TUPLE2 needs 2 items"});
        pickleRow("STOP on an empty stack", "\x80\x02.", {"stack underflow", "STOP"});
        pickleRow("underflow below a MARK", "\x80\x02}(s.", {"stack underflow", "above the last MARK"});
        pickleRow("SETITEMS without MARK", "\x80\x02}u.", {"SETITEMS without a preceding MARK"});
        pickleRow("SETITEMS with an odd count", "\x80\x02}(" + integer(1) + "u.",
                  {"odd number of items (1)"});
        pickleRow("APPEND to a dict", "\x80\x02}" + integer(1) + "a.", {"APPEND adds to a dict, not a list"});
        pickleRow("memo index out of range", "\x80\x02}r\xff\xff\xff\xff.",
                  {"memo index 4294967295 is out of range"});
        pickleRow("BINGET of an unset memo", "\x80\x02}q\x00h\x05."s,
                  {"memo entry 5 is read before it is set"});
        pickleRow("a dict containing itself", "\x80\x02}q\x00"s + unicode("self") + "h\x00s."s,
                  {"dict contains itself", "'self'"});
        std::string deepDicts = "\x80\x02";
        for (int i = 0; i < 2000; ++i)
            deepDicts += "}" + unicode("k");
        deepDicts += floatTensor() + std::string(2000, 's') + ".";
        pickleRow("2000 nested dicts", deepDicts, {"nested more than 1000 levels"});
        pickleRow("100000 nested lists",
                  "\x80\x02}" + unicode("k") + std::string(100000, ']') + std::string(99999, 'a') + "s.",
                  {"nested more than 1000 levels"});
        pickleRow("a tuple key over a tensor", "\x80\x02}" + integer(1) + "\x85" + floatTensor() + "s.",
                  {"a dict key is a tuple", "only string and integer keys"});

        const std::string negativeSize = "(\x8a\x02\xff\xfft"; // (-1,) as a 2-byte LONG1
        pickleRow(
            "a negative LONG1 size",
            dictPickle({{"w", rebuildCall(storageId("FloatStorage", "0", 4) + integer(0) + negativeSize +
                                          intTuple({1}) + kNewFalse + kEmptyOrderedDict)}}),
            {"negative size -1"});
        pickleRow("a bad 7th argument",
                  dictPickle({{"w", tensor(storageId("FloatStorage", "0", 4), 0, {4}, {1}, "]")}}),
                  {"argument 7 must be a dict or None", "found a list"});
        pickleRow("a 5000-byte name", dictPickle({{std::string(5000, 'n'), floatTensor()}}),
                  {"tensor name is longer than 4096 bytes"});
        pickleRow(
            "a long storage key",
            dictPickle({{"w", tensor(storageId("FloatStorage", std::string(300, 'k'), 4), 0, {4}, {1})}}),
            {"storage key of 300 bytes"});
        pickleRow("a million stack items", "\x80\x02" + std::string(1000001, 'N') + ".",
                  {"stack grows beyond 1000000 items"});
        std::string manyReferences = "\x80\x02]q\x00"s;
        for (int i = 0; i < 5; ++i)
            manyReferences += "(" + std::string(900000, 'N') + "e";
        pickleRow("4.5 million list items", manyReferences + ".", {"hold more than 4000000 items"});
        std::vector<ZipSpec> longByteOrder = archiveEntries(dictPickle({{"w", floatTensor()}}));
        longByteOrder.push_back({"archive/byteorder", std::string(100, 'l')});
        row("a long byteorder entry", writeZip(longByteOrder).bytes, {"byteorder entry is 100 bytes long"});

        // The pickle's top level is not a dict of tensors.
        pickleRow("top level list", "\x80\x02].", {"holds a list, not a dict"});
        pickleRow("top level tensor", "\x80\x02" + floatTensor() + ".",
                  {"single tensor", "save a state_dict"});
        pickleRow("empty dict", "\x80\x02}.", {"holds no tensors"});
        pickleRow("only numbers",
                  dictPickle({{"epoch", integer(3)}, {"lr", "G?\xb9\x99\x99\x99\x99\x99\x9a"}}),
                  {"holds no tensors"});
    }

    void hostileFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QStringList, phrases);
        const Error error = cmtest::expectError(
            [&] { parseTorchStateDict(std::vector<uint8_t>(bytes.begin(), bytes.end()), "hostile.pt"); });
        QVERIFY2(error.kind() == ErrorKind::Format, error.what());
        const QString message = error.what();
        QVERIFY2(message.startsWith("hostile.pt: "), error.what());
        for (const QString& phrase : phrases)
            QVERIFY2(message.contains(phrase), qPrintable("'" + phrase + "' not in: " + message));
        checkMessageIsSafe(error.what());
    }

    void structuresTooLargeToFlatten() {
        // 100001 names for one memoized tensor: more tensors than the reader accepts.
        std::string many = "\x80\x02}(" + unicode("t0") + floatTensor() + "q\x01"s;
        for (int i = 1; i <= 100000; ++i)
            many += unicode("t" + std::to_string(i)) + "h\x01";
        const Error tooMany = cmtest::expectError([&] { parse(archive(many + "u.")); });
        QVERIFY2(QString(tooMany.what()).contains("more than 100000 tensors"), tooMany.what());

        // Each dict holds the previous one twice: 2^40 paths from 40 small dicts. Refused in bounded time.
        QElapsedTimer timer;
        timer.start();
        std::string shared = "\x80\x02}q\x00"s;
        for (int level = 1; level <= 40; ++level)
            shared += "}(" + unicode("a") + "h" + char(level - 1) + unicode("b") + "h" + char(level - 1) +
                      "uq" + char(level);
        const Error tooLarge = cmtest::expectError([&] { parse(archive(shared + ".")); });
        QVERIFY2(QString(tooLarge.what()).contains("too large to flatten"), tooLarge.what());
        QVERIFY2(timer.elapsed() < 20000, qPrintable(QString::number(timer.elapsed()) + " ms"));
    }

    void truncatedAtEveryLength() {
        const std::vector<uint8_t> bytes = readFixture("views.pt");
        for (std::size_t length = 0; length < bytes.size(); ++length) {
            const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(length));
            const Error error = cmtest::expectError([&] { parseTorchStateDict(cut, "cut.pt"); });
            QVERIFY2(error.kind() == ErrorKind::Format, error.what());
        }
    }

    void deepNestingIsRejectedQuickly() {
        QElapsedTimer timer;
        timer.start();
        const std::string pickle =
            "\x80\x02}" + unicode("k") + std::string(100000, ']') + std::string(99999, 'a') + "s.";
        const Error error = cmtest::expectError([&] { parse(archive(pickle)); });
        QVERIFY2(QString(error.what()).contains("nested more than"), error.what());
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed()) + " ms"));
    }

    void randomBytesAndMutations() {
        std::mt19937 random(20240611);
        const auto byte = [&] { return uint8_t(random() & 0xFF); };
        for (int i = 0; i < 300; ++i) {
            std::vector<uint8_t> bytes(random() % 600);
            for (uint8_t& b : bytes)
                b = byte();
            if (i % 2 == 0 && bytes.size() >= 4) std::memcpy(bytes.data(), "PK\3\4", 4);
            parseMustNotCrash(bytes);
        }
        // Damaged copies of real files: a few bytes overwritten, mostly in the pickle and the directories.
        for (const char* name : {"tiny_module.pt", "views.pt", "nested.pt", "dtypes.pt"}) {
            const std::vector<uint8_t> original = readFixture(name);
            for (int i = 0; i < 400; ++i) {
                std::vector<uint8_t> bytes = original;
                const int flips = 1 + int(random() % 4);
                for (int f = 0; f < flips; ++f)
                    bytes[random() % bytes.size()] = byte();
                parseMustNotCrash(bytes);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestTorchFile)
#include "test_torch_file.moc"
