// Image helpers: display conversion, grids, encoding and decoding in RGB order, header sniffing, .npy files.
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/image_util.h"
#include "expect_error.h"

#include <QElapsedTimer>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

using namespace cm;

namespace {

using cmtest::expectError;

// A small RGB test card: a red, green and blue stripe over a grey ramp.
cv::Mat testCard(int width, int height) {
    cv::Mat image(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            cv::Vec3b& p = image.at<cv::Vec3b>(y, x);
            p = cv::Vec3b(uint8_t(x * 255 / width), uint8_t(x * 255 / width), uint8_t(x * 255 / width));
            if (y < height / 4)
                p = cv::Vec3b(255, 0, 0);
            else if (y < height / 2)
                p = cv::Vec3b(0, 255, 0);
            else if (y < 3 * height / 4)
                p = cv::Vec3b(0, 0, 255);
        }
    return image;
}

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& image,
                            const std::vector<int>& params = {}) {
    std::vector<uint8_t> bytes;
    if (!cv::imencode(ext, image, bytes, params)) qFatal("cannot encode a test image");
    return bytes;
}

} // namespace

class TestImageUtil : public QObject {
    Q_OBJECT

  private slots:
    void displayRoundTripIsExact_data() {
        QTest::addColumn<int>("channels");
        QTest::newRow("grey") << 1;
        QTest::newRow("rgb") << 3;
    }
    void displayRoundTripIsExact() {
        QFETCH(int, channels);
        cv::Mat levels(1, 256, CV_8UC(channels));
        for (int i = 0; i < 256; ++i)
            for (int c = 0; c < channels; ++c)
                levels.ptr<uint8_t>(0)[i * channels + c] = uint8_t((i + 85 * c) % 256);
        const cv::Mat asFloat = fromDisplay8U(levels);
        QCOMPARE(asFloat.type(), CV_32FC(channels));
        for (int i = 0; i < 256 * channels; ++i) {
            const float expected = float(levels.ptr<uint8_t>(0)[i]) / 127.5f - 1.0f;
            QVERIFY(std::abs(asFloat.ptr<float>(0)[i] - expected) < 1e-6f);
        }
        const cv::Mat back = toDisplay8U(asFloat);
        QCOMPARE(back.type(), CV_8UC(channels));
        QCOMPARE(cv::norm(back, levels, cv::NORM_INF), 0.0);
        QCOMPARE(asFloat.at<float>(0, 0), -1.0f);
        QCOMPARE(fromDisplay8U(cv::Mat(1, 1, CV_8UC1, cv::Scalar(255))).at<float>(0, 0), 1.0f);
    }

    void toDisplayClamps() {
        const float inf = std::numeric_limits<float>::infinity();
        cv::Mat values = (cv::Mat_<float>(1, 6) << -5.0f, 5.0f, std::nanf(""), inf, -inf, 0.5f);
        const cv::Mat out = toDisplay8U(values);
        const std::vector<int> expected = {0, 255, 0, 255, 0, 191}; // 1.5 * 127.5 = 191.25
        for (int i = 0; i < 6; ++i)
            QCOMPARE(int(out.at<uint8_t>(0, i)), expected[std::size_t(i)]);
        QCOMPARE(int(expectError([] { toDisplay8U(cv::Mat(2, 2, CV_8UC1)); }).kind()),
                 int(ErrorKind::InvalidArgument));
    }

    void gridLayout() {
        std::vector<cv::Mat> images;
        for (int i = 0; i < 5; ++i)
            images.push_back(cv::Mat(8, 10, CV_8UC3, cv::Scalar(i * 10, 1, 2)));
        const cv::Mat grid = makeGrid(images, 3, 2);
        // 3 columns, 2 rows: width 3*10 + 4*2, height 2*8 + 3*2.
        QCOMPARE(grid.cols, 38);
        QCOMPARE(grid.rows, 22);
        QCOMPARE(grid.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
        QCOMPARE(grid.at<cv::Vec3b>(2, 2), cv::Vec3b(0, 1, 2));                   // image 0
        QCOMPARE(grid.at<cv::Vec3b>(2 + 8 + 2, 2 + 10 + 2), cv::Vec3b(40, 1, 2)); // image 4: row 1, column 1
        QCOMPARE(grid.at<cv::Vec3b>(21, 37), cv::Vec3b(255, 255, 255));           // the empty sixth cell
        QCOMPARE(grid.at<cv::Vec3b>(12 + 7, 26 + 9), cv::Vec3b(255, 255, 255));

        const cv::Mat single = makeGrid({images[0]}, 8, 0);
        QCOMPARE(single.size(), images[0].size());
    }

    void gridRejectsMixedSizes() {
        const std::vector<cv::Mat> mixed = {cv::Mat(8, 8, CV_8UC1, cv::Scalar(0)),
                                            cv::Mat(8, 9, CV_8UC1, cv::Scalar(0))};
        QCOMPARE(int(expectError([&] { makeGrid(mixed, 2); }).kind()), int(ErrorKind::Shape));
        const std::vector<cv::Mat> mixedType = {cv::Mat(8, 8, CV_8UC1), cv::Mat(8, 8, CV_8UC3)};
        QCOMPARE(int(expectError([&] { makeGrid(mixedType, 2); }).kind()), int(ErrorKind::Shape));
        QCOMPARE(int(expectError([&] { makeGrid({}, 2); }).kind()), int(ErrorKind::InvalidArgument));
        QCOMPARE(int(expectError([&] { makeGrid({cv::Mat(8, 8, CV_8UC1)}, 0); }).kind()),
                 int(ErrorKind::InvalidArgument));
    }

    void writeAndReadKeepRgbOrder_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("tolerance");
        QTest::newRow("png") << "card.png" << 0;
        QTest::newRow("webp lossless") << "card.webp" << 0;
        QTest::newRow("jpeg") << "card.JPG" << 12;
    }
    void writeAndReadKeepRgbOrder() {
        QFETCH(QString, name);
        QFETCH(int, tolerance);
        QTemporaryDir dir;
        const std::string path = dir.filePath(name).toStdString();
        // 16-row stripes line up with JPEG's 16x16 chroma blocks, so colours do not bleed.
        const cv::Mat card = testCard(48, 64);
        const cv::Mat original = card.clone();
        writeImageAtomically(path, card);
        QCOMPARE(cv::norm(card, original, cv::NORM_INF), 0.0); // the caller's pixels stay RGB
        const cv::Mat back = readImageFile(path);
        QCOMPARE(back.type(), CV_8UC3);
        // JPEG's chroma upsampling blends across the stripe borders, so the lossy case skips those rows.
        for (int y = 0; y < card.rows; ++y) {
            if (tolerance > 0 && (y % 16 < 2 || y % 16 > 13)) continue;
            const double error = cv::norm(back.row(y), card.row(y), cv::NORM_INF);
            QVERIFY2(error <= tolerance, qPrintable(QString("row %1: %2").arg(y).arg(error)));
        }
        // On disk the file must be a normal image: OpenCV's own reader sees red in its last (R) channel.
        const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
        QVERIFY(bgr.at<cv::Vec3b>(2, 24)[2] > 200 && bgr.at<cv::Vec3b>(2, 24)[0] < 60);
        QVERIFY(QDir(dir.path()).entryList({"*.tmp-*"}, QDir::Files).isEmpty());
    }

    void greyImagesStayGrey() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("grey.png").toStdString();
        cv::Mat grey(5, 7, CV_8UC1);
        for (int i = 0; i < 35; ++i)
            grey.data[i] = uint8_t(i * 7);
        writeImageAtomically(path, grey);
        const cv::Mat back = readImageFile(path);
        QCOMPARE(back.type(), CV_8UC1);
        QCOMPARE(cv::norm(back, grey, cv::NORM_INF), 0.0);
    }

    void unknownExtensionIsRejected() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("card.bmp").toStdString();
        const Error e = expectError([&] { writeImageAtomically(path, testCard(8, 8)); });
        QCOMPARE(int(e.kind()), int(ErrorKind::InvalidArgument));
        QVERIFY2(QString(e.what()).contains(".bmp"), e.what());
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));
    }

    void readingFailures() {
        QTemporaryDir dir;
        const std::string text = dir.filePath("notes.png").toStdString();
        writeFileAtomically(text, std::string("this is not an image\n"));
        Error e = expectError([&] { readImageFile(text); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).startsWith(QString::fromStdString(text) + ": "), e.what());

        // A valid signature followed by garbage: recognised as PNG but not decodable.
        const std::string damaged = dir.filePath("damaged.png").toStdString();
        std::vector<uint8_t> bytes = encode(".png", testCard(16, 16));
        bytes.resize(60);
        writeFileAtomically(damaged, bytes);
        e = expectError([&] { readImageFile(damaged); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(damaged)), e.what());

        const std::string missing = dir.filePath("missing.png").toStdString();
        e = expectError([&] { readImageFile(missing); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Io));
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(missing)), e.what());
    }

    // fuzz_image found this: a RIFF/WEBP file that libwebp refuses, with "DICM" at byte 128. OpenCV passed it
    // on to its DICOM reader, whose assertion aborted the process.
    void damagedWebpNeverReachesOtherReaders() {
        const QByteArray crash = QByteArray::fromBase64(
            "UklGRrIAAABXRUJQVlA2TKYAAAAvBjBMlpaWlpaWlpaWlpYqlt7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e"
            "3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7e3t7elpaWlpaWlpaWlpaWlqZESUNN");
        std::vector<uint8_t> bytes(crash.begin(), crash.end());
        QCOMPARE(std::string(bytes.begin() + 128, bytes.begin() + 132), std::string("DICM"));
        Error e = expectError([&] { decodeImage(bytes, "crash.webp"); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains("crash.webp: a damaged WebP image"), e.what());

        // A valid VP8L header is not enough when the preamble is there: libwebp may still refuse the rest.
        bytes = encode(".webp", testCard(16, 16), {cv::IMWRITE_WEBP_QUALITY, 101});
        bytes.resize(std::max<std::size_t>(bytes.size(), 140), 0);
        std::memcpy(bytes.data() + 128, "DICM", 4);
        e = expectError([&] { decodeImage(bytes, "preamble.webp"); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
    }

    void hugeImagesAreRefusedBeforeDecoding() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("bomb.png").toStdString();
        std::vector<uint8_t> bytes = encode(".png", testCard(8, 8));
        // Claim 20000 x 20000 pixels in the IHDR chunk (big-endian width and height at offsets 16 and 20).
        const uint8_t side[4] = {0x00, 0x00, 0x4E, 0x20};
        std::memcpy(bytes.data() + 16, side, 4);
        std::memcpy(bytes.data() + 20, side, 4);
        writeFileAtomically(path, bytes);
        const Error e = expectError([&] { readImageFile(path); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains("20000 x 20000") && QString(e.what()).contains("megapixels"),
                 e.what());
    }

    // A 778 KB 16-bit RGBA PNG of 10000 x 10000 once took 3.2 GB: 100 megapixels were within the pixel
    // limit, but each pixel is 8 bytes. The decode budget is in bytes, checked on the header.
    void sixteenBitRgbaBombIsRefusedBeforeDecoding() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("bomb16.png").toStdString();
        std::vector<uint8_t> bytes = encode(".png", cv::Mat(8, 8, CV_16UC4, cv::Scalar(1, 2, 3, 65535)));
        QCOMPARE(int(bytes[24]), 16);                     // bit depth
        QCOMPARE(int(bytes[25]), 6);                      // RGBA
        const uint8_t side[4] = {0x00, 0x00, 0x27, 0x10}; // 10000
        std::memcpy(bytes.data() + 16, side, 4);
        std::memcpy(bytes.data() + 20, side, 4);
        writeFileAtomically(path, bytes);
        for (const auto& read : {std::function<void()>([&] { readImageFile(path); }),
                                 std::function<void()>([&] { readImageFileHeader(path); })}) {
            const Error e = expectError(read);
            QCOMPARE(int(e.kind()), int(ErrorKind::Format));
            QVERIFY2(QString(e.what()).contains("10000 x 10000 pixels of 4 x 16-bit samples") &&
                         QString(e.what()).contains("763 MB") &&
                         QString(e.what()).contains("limit of 256 MB"),
                     e.what());
        }
    }

    void headersAreReadWithoutDecoding() {
        QTemporaryDir dir;
        const auto write = [&](const char* name, const std::vector<uint8_t>& bytes) {
            const std::string path = dir.filePath(name).toStdString();
            writeFileAtomically(path, bytes);
            return path;
        };
        const ImageHeader grey =
            readImageFileHeader(write("grey.png", encode(".png", cv::Mat(5, 7, CV_8UC1))));
        QCOMPARE(grey.width, int64_t(7));
        QCOMPARE(grey.height, int64_t(5));
        QCOMPARE(grey.channels, 1);
        QCOMPARE(grey.bytesPerSample, 1);
        const ImageHeader jpeg = readImageFileHeader(write("card.jpg", encode(".jpg", testCard(40, 30))));
        QCOMPARE(jpeg.width, int64_t(40));
        QCOMPARE(jpeg.channels, 3);
        QCOMPARE(jpeg.decodedBytes(), int64_t(40 * 30 * 3));
        // The header of a damaged file is still read; a missing header is a format error naming the file.
        std::vector<uint8_t> cut = encode(".png", testCard(9, 9));
        cut.resize(20);
        const Error e = expectError([&] { readImageFileHeader(write("cut.png", cut)); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains("cut.png"), e.what());
        QCOMPARE((ImageHeader{int64_t(1) << 40, int64_t(1) << 40, 4, 2}).decodedBytes(),
                 std::numeric_limits<int64_t>::max());
    }

    // A huge file is not read whole to find out that it is no image this reader can take.
    void hugeFileIsRefusedUnread() {
        QTemporaryDir dir;
        const QString path = dir.filePath("huge.png");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        const std::vector<uint8_t> png = encode(".png", testCard(8, 8));
        file.write(reinterpret_cast<const char*>(png.data()), qint64(png.size()));
        QVERIFY(file.resize(qint64(2) << 30)); // sparse
        file.close();
        QElapsedTimer timer;
        timer.start();
        const Error e = expectError([&] { readImageFile(path.toStdString()); });
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains("2147483648 bytes"), e.what());
    }

    void headerSizes_data() {
        QTest::addColumn<QString>("ext");
        QTest::addColumn<int>("quality");
        QTest::newRow("png") << ".png" << -1;
        QTest::newRow("jpeg") << ".jpg" << 90;
        QTest::newRow("webp lossless") << ".webp" << 101;
        QTest::newRow("webp lossy") << ".webp" << 80;
    }
    void headerSizes() {
        QFETCH(QString, ext);
        QFETCH(int, quality);
        std::vector<int> params;
        if (quality >= 0)
            params = {ext == ".jpg" ? cv::IMWRITE_JPEG_QUALITY : cv::IMWRITE_WEBP_QUALITY, quality};
        const std::vector<uint8_t> bytes = encode(ext.toStdString(), testCard(37, 23), params);
        int64_t width = 0, height = 0;
        QVERIFY(imageHeaderSize(bytes, width, height));
        QCOMPARE(width, int64_t(37));
        QCOMPARE(height, int64_t(23));
        // Never reads past the end of a truncated header.
        for (std::size_t n = 0; n < std::min<std::size_t>(bytes.size(), 64); ++n)
            imageHeaderSize(std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(n)), width, height);
    }

    void alphaAndSixteenBit() {
        QTemporaryDir dir;
        // Fully transparent black becomes white; half-transparent black becomes mid grey.
        cv::Mat bgra(4, 4, CV_8UC4, cv::Scalar(0, 0, 0, 0));
        bgra.at<cv::Vec4b>(1, 1) = cv::Vec4b(0, 0, 0, 128);
        bgra.at<cv::Vec4b>(2, 2) = cv::Vec4b(0, 0, 255, 255); // opaque red in BGRA
        const std::string rgbaPath = dir.filePath("alpha.png").toStdString();
        QVERIFY(cv::imwrite(rgbaPath, bgra));
        const cv::Mat rgb = readImageFile(rgbaPath);
        QCOMPARE(rgb.type(), CV_8UC3);
        QCOMPARE(rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
        QCOMPARE(rgb.at<cv::Vec3b>(1, 1), cv::Vec3b(127, 127, 127)); // 255 * (1 - 128/255)
        QCOMPARE(rgb.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 0, 0));

        cv::Mat wide(3, 3, CV_16UC3, cv::Scalar(128 * 257, 0, 65535)); // BGR
        const std::string widePath = dir.filePath("wide.png").toStdString();
        QVERIFY(cv::imwrite(widePath, wide));
        const cv::Mat narrow = readImageFile(widePath);
        QCOMPARE(narrow.type(), CV_8UC3);
        QCOMPARE(narrow.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 128));
    }

    void npyHeader_data() {
        QTest::addColumn<QString>("shapeText");
        QTest::addColumn<int>("dims");
        QTest::newRow("matrix") << "(2, 3)" << 2;
        QTest::newRow("vector") << "(6,)" << 1;
        QTest::newRow("scalar") << "()" << 0;
    }
    void npyHeader() {
        QFETCH(QString, shapeText);
        QFETCH(int, dims);
        const std::vector<int64_t> shape = dims == 2   ? std::vector<int64_t>{2, 3}
                                           : dims == 1 ? std::vector<int64_t>{6}
                                                       : std::vector<int64_t>{};
        std::vector<float> values = {0.5f, -1.0f, 2.25f, 3.0f, 1e-8f, -0.0f};
        if (dims == 0) values.resize(1);
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.npy").toStdString();
        writeNpy(path, values, shape);
        const std::vector<uint8_t> bytes = readWholeFile(path);
        QVERIFY(bytes.size() > 10);
        QCOMPARE(std::string(bytes.begin(), bytes.begin() + 6), std::string("\x93NUMPY"));
        QCOMPARE(int(bytes[6]), 1);
        QCOMPARE(int(bytes[7]), 0);
        const std::size_t headerLength = bytes[8] | std::size_t(bytes[9]) << 8;
        QCOMPARE((10 + headerLength) % 64, std::size_t(0));
        QCOMPARE(bytes.size(), 10 + headerLength + values.size() * 4);
        const QString header =
            QString::fromLatin1(reinterpret_cast<const char*>(bytes.data()) + 10, int(headerLength));
        QVERIFY2(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }"),
                 qPrintable(header));
        QVERIFY(header.endsWith('\n'));
        std::vector<float> data(values.size());
        std::memcpy(data.data(), bytes.data() + 10 + headerLength, data.size() * 4);
        QVERIFY(std::memcmp(data.data(), values.data(), data.size() * 4) == 0);
    }

    void npyRejectsMismatchedShape() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("bad.npy").toStdString();
        QCOMPARE(int(expectError([&] {
                         writeNpy(path, {1, 2, 3}, {2, 2});
                     }).kind()),
                 int(ErrorKind::InvalidArgument));
        QCOMPARE(int(expectError([&] {
                         writeNpy(path, {1, 2, 3}, {-3});
                     }).kind()),
                 int(ErrorKind::InvalidArgument));
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));
    }
};

QTEST_APPLESS_MAIN(TestImageUtil)
#include "test_image_util.moc"
