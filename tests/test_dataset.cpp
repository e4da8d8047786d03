// Data loaders: the real Fashion-MNIST files, synthetic and damaged IDX files (raw and gzip), image folders
// with mixed formats, transparency, 16-bit and unreadable files, and the deterministic holdout split.
#include "core/atomic_file.h"
#include "core/dataset.h"
#include "core/error.h"
#include "expect_error.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <cstring>
#include <functional>

using namespace cm;

namespace {

using cmtest::expectError;

void putBigEndian(std::vector<uint8_t>& out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(uint8_t(v >> shift));
}

struct IdxPair {
    std::vector<uint8_t> images, labels;
};

// `count` 28x28 images whose pixel i of item n is (n * 31 + i) % 256, with labels n % 10.
IdxPair syntheticIdx(uint32_t count) {
    IdxPair idx;
    putBigEndian(idx.images, 0x00000803);
    putBigEndian(idx.images, count);
    putBigEndian(idx.images, 28);
    putBigEndian(idx.images, 28);
    for (uint32_t n = 0; n < count; ++n)
        for (int i = 0; i < 784; ++i)
            idx.images.push_back(uint8_t((n * 31 + uint32_t(i)) % 256));
    putBigEndian(idx.labels, 0x00000801);
    putBigEndian(idx.labels, count);
    for (uint32_t n = 0; n < count; ++n)
        idx.labels.push_back(uint8_t(n % 10));
    return idx;
}

void writeGzip(const std::string& path, const std::vector<uint8_t>& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    QVERIFY(file);
    QCOMPARE(gzwrite(file, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
    QCOMPARE(gzclose(file), Z_OK);
}

void writeIdxPair(const QString& dir, const IdxPair& idx, bool gzip) {
    const std::string images = (dir + "/t10k-images-idx3-ubyte").toStdString();
    const std::string labels = (dir + "/t10k-labels-idx1-ubyte").toStdString();
    if (gzip) {
        writeGzip(images + ".gz", idx.images);
        writeGzip(labels + ".gz", idx.labels);
    } else {
        writeFileAtomically(images, idx.images);
        writeFileAtomically(labels, idx.labels);
    }
}

using IdxDamage = std::function<void(IdxPair&)>;

// A PNG whose header claims 20000 x 20000 pixels.
std::vector<uint8_t> pngBomb() {
    std::vector<uint8_t> bytes;
    cv::imencode(".png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)), bytes);
    const uint8_t side[4] = {0x00, 0x00, 0x4E, 0x20};
    std::memcpy(bytes.data() + 16, side, 4);
    std::memcpy(bytes.data() + 20, side, 4);
    return bytes;
}

bool anyContains(const std::vector<std::string>& list, const QString& needle) {
    for (const std::string& s : list)
        if (QString::fromStdString(s).contains(needle)) return true;
    return false;
}

} // namespace

Q_DECLARE_METATYPE(IdxDamage)

class TestDataset : public QObject {
    Q_OBJECT

  private slots:
    void realFashionMnistTestSplit() {
        const std::string dir = defaultFashionMnistDirectory();
        QCOMPARE(dir, std::string("/usr/share/datasets/fashion-mnist"));
        if (!QFileInfo(QString::fromStdString(dir)).isDir()) QSKIP("dataset-fashion-mnist is not installed");
        const Dataset data = loadFashionMnist(dir, Split::Test);
        QCOMPARE(data.count(), int64_t(10000));
        QCOMPARE(data.itemShape, (std::vector<int64_t>{1, 28, 28}));
        QCOMPARE(data.itemSize(), int64_t(784));
        QCOMPARE(data.values.size(), std::size_t(10000 * 784));
        QCOMPARE(data.classNames.size(), std::size_t(10));
        QCOMPARE(data.classNames.front(), std::string("T-shirt/top"));
        QCOMPARE(data.classNames.back(), std::string("Ankle boot"));
        QCOMPARE(data.description, std::string("Fashion-MNIST test (10000 images)"));
        const auto [lo, hi] = std::minmax_element(data.values.begin(), data.values.end());
        QCOMPARE(*lo, -1.0f);
        QCOMPARE(*hi, 1.0f);
        std::vector<int> perClass(10, 0);
        for (int64_t label : data.labels) {
            QVERIFY(label >= 0 && label < 10);
            ++perClass[std::size_t(label)];
        }
        for (int n : perClass)
            QCOMPARE(n, 1000);
    }

    void syntheticIdxLoads_data() {
        QTest::addColumn<bool>("gzip");
        QTest::newRow("raw") << false;
        QTest::newRow("gzip") << true;
    }
    void syntheticIdxLoads() {
        QFETCH(bool, gzip);
        QTemporaryDir dir;
        writeIdxPair(dir.path(), syntheticIdx(12), gzip);
        const Dataset data = loadFashionMnist(dir.path().toStdString(), Split::Test);
        QCOMPARE(data.count(), int64_t(12));
        QCOMPARE(data.labels[11], int64_t(1));
        // Item 3, pixel 5: (3*31 + 5) % 256 = 98 -> 98 / 127.5 - 1.
        QCOMPARE(data.values[3 * 784 + 5], 98.0f / 127.5f - 1.0f);
        QCOMPARE(data.values[0], -1.0f);
        QCOMPARE(data.values[255], 1.0f);
        QCOMPARE(data.description, std::string("Fashion-MNIST test (12 images)"));
    }

    void damagedIdxFiles_data() {
        QTest::addColumn<IdxDamage>("damage");
        QTest::addColumn<bool>("gzip");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("phrase");
        const QString images = "t10k-images-idx3-ubyte", labels = "t10k-labels-idx1-ubyte";
        const auto rows = [&](const char* name, const QString& file, const char* phrase, IdxDamage damage) {
            QTest::newRow(qPrintable(QString(name) + " (raw)")) << damage << false << file << QString(phrase);
            QTest::newRow(qPrintable(QString(name) + " (gzip)")) << damage << true << file << QString(phrase);
        };
        rows("bad image magic", images, "magic", [](IdxPair& p) { p.images[3] = 0x04; });
        rows("bad label magic", labels, "magic", [](IdxPair& p) { p.labels[2] = 0x09; });
        rows("truncated images", images, "truncated",
             [](IdxPair& p) { p.images.resize(p.images.size() - 10); });
        rows("truncated header", images, "truncated", [](IdxPair& p) { p.images.resize(10); });
        rows("trailing bytes", labels, "unexpected bytes", [](IdxPair& p) { p.labels.push_back(0); });
        // One label fewer, and the header count (low byte at offset 7) says so.
        rows("label count mismatch", labels, "11 labels", [](IdxPair& p) {
            p.labels.pop_back();
            p.labels[7] = 11;
        });
        rows("label 12", labels, "label 12", [](IdxPair& p) { p.labels[8 + 4] = 12; });
        rows("27 columns", images, "28x27", [](IdxPair& p) { p.images[15] = 27; });
        rows("absurd count", images, "limit", [](IdxPair& p) { std::memset(p.images.data() + 4, 0xFF, 4); });
    }
    void damagedIdxFiles() {
        QFETCH(IdxDamage, damage);
        QFETCH(bool, gzip);
        QFETCH(QString, file);
        QFETCH(QString, phrase);
        QTemporaryDir dir;
        IdxPair idx = syntheticIdx(12);
        damage(idx);
        writeIdxPair(dir.path(), idx, gzip);
        const Error e = expectError([&] { loadFashionMnist(dir.path().toStdString(), Split::Test); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(e.what()).contains(dir.path() + "/" + file), e.what());
        QVERIFY2(QString(e.what()).contains(phrase), e.what());
    }

    void damagedGzipStream() {
        QTemporaryDir dir;
        writeIdxPair(dir.path(), syntheticIdx(50), true);
        const std::string images = (dir.path() + "/t10k-images-idx3-ubyte.gz").toStdString();
        std::vector<uint8_t> bytes = readWholeFile(images);
        bytes.resize(bytes.size() / 2);
        writeFileAtomically(images, bytes);
        const Error e = expectError([&] { loadFashionMnist(dir.path().toStdString(), Split::Test); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(images)), e.what());
    }

    void missingIdxFile() {
        QTemporaryDir dir;
        writeIdxPair(dir.path(), syntheticIdx(3), false);
        QVERIFY(QFile::remove(dir.filePath("t10k-images-idx3-ubyte")));
        const Error e = expectError([&] { loadFashionMnist(dir.path().toStdString(), Split::Test); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        const QString both = dir.filePath("t10k-images-idx3-ubyte");
        QVERIFY2(QString(e.what()).contains(both + " nor " + both + ".gz"), e.what());

        // The train split looks for its own files.
        const Error train = expectError([&] { loadFashionMnist(dir.path().toStdString(), Split::Train); });
        QVERIFY2(QString(train.what()).contains("train-"), train.what());
    }

    void missingDirectory() {
        const Error e = expectError([] { loadFashionMnist("/nonexistent/fashion", Split::Train); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(e.what()).contains("/nonexistent/fashion"), e.what());
        const Error folder =
            expectError([] { loadImageFolder("/nonexistent/pictures", ImageFolderOptions{}); });
        QCOMPARE(int(folder.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(folder.what()).contains("/nonexistent/pictures"), folder.what());
    }

    void imageFolder() {
        QTemporaryDir tmp;
        QDir root(tmp.path());
        QVERIFY(root.mkpath("classA") && root.mkpath("classB/nested") && root.mkpath("classC"));
        const auto path = [&](const char* name) { return root.filePath(name).toStdString(); };

        // Fully transparent black: must come out white.
        QVERIFY(cv::imwrite(path("classA/a1.png"), cv::Mat(30, 40, CV_8UC4, cv::Scalar(0, 0, 0, 0))));
        // Solid red (BGR on disk), JPEG, to check the RGB order.
        QVERIFY(cv::imwrite(path("classA/a2.jpg"), cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 0, 255))));
        // Small, enlarged; upper-case extension.
        QVERIFY(cv::imwrite(path("classA/A3.JPEG"), cv::Mat(12, 12, CV_8UC3, cv::Scalar(90, 90, 90))));
        QVERIFY(cv::imwrite(path("classB/b1.webp"), cv::Mat(70, 50, CV_8UC3, cv::Scalar(10, 200, 30))));
        // 16-bit RGB: B = 128*257, G = 0, R = 65535 -> RGB (255, 0, 128).
        QVERIFY(
            cv::imwrite(path("classB/b16.png"), cv::Mat(33, 33, CV_16UC3, cv::Scalar(128 * 257, 0, 65535))));
        QVERIFY(cv::imwrite(path("classB/nested/grey.png"), cv::Mat(32, 32, CV_8UC1, cv::Scalar(200))));
        writeFileAtomically(path("classB/bad.png"), std::string("not a png"));
        writeFileAtomically(path("classB/huge.png"), pngBomb());
        writeFileAtomically(path("classC/empty.jpg"), std::string());
        writeFileAtomically(path("readme.txt"), std::string("ignored"));
        QVERIFY(cv::imwrite(path("loose.png"), cv::Mat(16, 16, CV_8UC3, cv::Scalar(1, 2, 3))));

        ImageFolderOptions options;
        options.size = 16;
        options.channels = 3;
        options.labelsFromSubfolders = true;
        // A trailing slash must not change the class names.
        const Dataset data = loadImageFolder(tmp.path().toStdString() + "/", options);
        QCOMPARE(data.count(), int64_t(6));
        QCOMPARE(data.itemShape, (std::vector<int64_t>{3, 16, 16}));
        QCOMPARE(data.classNames, (std::vector<std::string>{"classA", "classB"}));
        // Sorted paths: classA/A3.JPEG, classA/a1.png, classA/a2.jpg, classB/b1.webp, classB/b16.png,
        // classB/nested/grey.png.
        QCOMPARE(data.labels, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
        for (float v : data.values)
            QVERIFY(v >= -1.0f && v <= 1.0f);

        const auto pixel = [&](int item, int channel, int y, int x) {
            return data.values[std::size_t(item * 768 + channel * 256 + y * 16 + x)];
        };
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 256; ++i)
                QCOMPARE(data.values[std::size_t(768 + c * 256 + i)], 1.0f); // a1: white
        QVERIFY(pixel(2, 0, 8, 8) > 0.9f && pixel(2, 2, 8, 8) < -0.8f);      // a2: red
        QVERIFY(std::abs(pixel(0, 1, 8, 8) - (90 / 127.5f - 1)) < 0.03f);    // A3
        QVERIFY(pixel(3, 1, 8, 8) > 0.5f && pixel(3, 0, 8, 8) < -0.5f);      // b1: green
        QCOMPARE(pixel(4, 0, 8, 8), 1.0f);                                   // b16
        QCOMPARE(pixel(4, 1, 8, 8), -1.0f);
        QCOMPARE(pixel(4, 2, 8, 8), 128 / 127.5f - 1);
        QCOMPARE(pixel(5, 0, 3, 3), pixel(5, 2, 3, 3)); // grey expanded to RGB

        QCOMPARE(data.skippedFiles.size(), std::size_t(4));
        QVERIFY(anyContains(data.skippedFiles, "bad.png: "));
        QVERIFY(anyContains(data.skippedFiles, "empty.jpg: "));
        QVERIFY(anyContains(data.skippedFiles, "megapixels"));
        QVERIFY(anyContains(data.skippedFiles, "loose.png: not inside a class sub-folder"));
        QVERIFY(QString::fromStdString(data.description).contains("6 images"));

        // Without labels, grey: the loose file counts too.
        options.labelsFromSubfolders = false;
        options.channels = 1;
        const Dataset grey = loadImageFolder(tmp.path().toStdString(), options);
        QCOMPARE(grey.count(), int64_t(7));
        QVERIFY(!grey.hasLabels());
        QVERIFY(grey.classNames.empty());
        QCOMPARE(grey.itemShape, (std::vector<int64_t>{1, 16, 16}));
        QCOMPARE(grey.skippedFiles.size(), std::size_t(3));
    }

    void nonSquareImagesAreCentreCropped() {
        QTemporaryDir tmp;
        // 60 wide, 20 high: left third black, middle white, right third black. Shrunk to 24x8 then the
        // centre 8x8 is entirely from the white middle.
        cv::Mat image(20, 60, CV_8UC1, cv::Scalar(0));
        image(cv::Rect(20, 0, 20, 20)).setTo(255);
        QVERIFY(cv::imwrite(tmp.filePath("wide.png").toStdString(), image));
        ImageFolderOptions options;
        options.size = 8;
        options.channels = 1;
        const Dataset data = loadImageFolder(tmp.path().toStdString(), options);
        QCOMPARE(data.count(), int64_t(1));
        for (float v : data.values)
            QCOMPARE(v, 1.0f);
    }

    void unusableFolders() {
        QTemporaryDir empty;
        Error e = expectError([&] { loadImageFolder(empty.path().toStdString(), ImageFolderOptions{}); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(e.what()).contains(empty.path()), e.what());

        QTemporaryDir bad;
        writeFileAtomically(bad.filePath("x.png").toStdString(), std::string("text"));
        writeFileAtomically(bad.filePath("y.webp").toStdString(), std::string());
        e = expectError([&] { loadImageFolder(bad.path().toStdString(), ImageFolderOptions{}); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Data));
        QVERIFY2(QString(e.what()).contains("2 file(s) skipped"), e.what());
        QVERIFY2(QString(e.what()).contains("x.png: ") && QString(e.what()).contains("y.webp: "), e.what());
    }

    void badOptions() {
        QTemporaryDir tmp;
        ImageFolderOptions options;
        options.channels = 2;
        QCOMPARE(int(expectError([&] { loadImageFolder(tmp.path().toStdString(), options); }).kind()),
                 int(ErrorKind::InvalidArgument));
        options.channels = 3;
        options.size = 0;
        QCOMPARE(int(expectError([&] { loadImageFolder(tmp.path().toStdString(), options); }).kind()),
                 int(ErrorKind::InvalidArgument));
    }

    void splitEveryKthSizes_data() {
        QTest::addColumn<int>("count");
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("heldOut");
        QTest::newRow("10 by 3") << 10 << 3 << 3;
        QTest::newRow("10 by 10") << 10 << 10 << 1;
        QTest::newRow("9 by 10") << 9 << 10 << 0;
        QTest::newRow("12 by 2") << 12 << 2 << 6;
    }
    void splitEveryKthSizes() {
        QFETCH(int, count);
        QFETCH(int, k);
        QFETCH(int, heldOut);
        Dataset data;
        data.itemShape = {2};
        data.classNames = {"a", "b", "c"};
        for (int i = 0; i < count; ++i) {
            data.values.push_back(float(i));
            data.values.push_back(float(-i));
            data.labels.push_back(i % 3);
        }
        const auto [kept, held] = splitEveryKth(data, k);
        QCOMPARE(held.count(), int64_t(heldOut));
        QCOMPARE(kept.count(), int64_t(count - heldOut));
        QCOMPARE(kept.labels.size(), std::size_t(count - heldOut));
        QCOMPARE(held.labels.size(), std::size_t(heldOut));
        QCOMPARE(kept.classNames, data.classNames);
        QCOMPARE(held.itemShape, data.itemShape);
        if (heldOut > 0) {
            // The first held-out item is item k-1.
            QCOMPARE(held.values[0], float(k - 1));
            QCOMPARE(held.values[1], float(-(k - 1)));
            QCOMPARE(held.labels[0], int64_t((k - 1) % 3));
        }
        QCOMPARE(kept.values[0], 0.0f);
    }

    void splitEveryKthNamesTheSplit_data() {
        QTest::addColumn<int>("k");
        QTest::addColumn<QString>("ordinal");
        for (const auto& [k, text] : std::vector<std::pair<int, const char*>>{
                 {2, "2nd"}, {3, "3rd"}, {10, "10th"}, {11, "11th"}, {12, "12th"}, {13, "13th"}, {21, "21st"},
                 {22, "22nd"}, {101, "101st"}, {111, "111th"}})
            QTest::newRow(text) << k << QString(text);
    }
    void splitEveryKthNamesTheSplit() {
        // The kept part's description goes into a model card, where it tells which images a model never saw.
        QFETCH(int, k);
        QFETCH(QString, ordinal);
        Dataset data;
        data.itemShape = {1};
        data.values = {1, 2, 3};
        data.description = "set";
        const auto [kept, held] = splitEveryKth(data, k);
        QCOMPARE(QString::fromStdString(kept.description), "set [without every " + ordinal + " item]");
        QCOMPARE(QString::fromStdString(held.description), "set [held out: every " + ordinal + " item]");
    }

    void splitEveryKthRejectsSmallK() {
        Dataset data;
        data.itemShape = {1};
        data.values = {1, 2, 3};
        QCOMPARE(int(expectError([&] { splitEveryKth(data, 1); }).kind()), int(ErrorKind::InvalidArgument));
    }
};

QTEST_APPLESS_MAIN(TestDataset)
#include "test_dataset.moc"
