// Tests core/edit_input.*: the one rule the CLI and the app use to turn a user's picture into an edit's
// input (size checked or fitted, channels adapted, colorize's luminance, super-resolution's patch means).
#include "core/edit_input.h"
#include "core/error.h"
#include "core/image_util.h"
#include "expect_error.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

using cmtest::expectError;

namespace {

cm::NetworkConfig network(int size, int channels) {
    cm::NetworkConfig config;
    config.imageSize = size;
    config.channels = channels;
    return config;
}

cv::Mat randomU8(int rows, int cols, int channels, uint64_t seed) {
    cv::Mat image(rows, cols, CV_8UC(channels));
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    return image;
}

} // namespace

class TestEditInput : public QObject {
    Q_OBJECT
  private slots:
    void theRightSizePassesUnchanged() {
        const cv::Mat grey = randomU8(28, 28, 1, 1);
        const auto input = cm::prepareEditInput(cm::EditTask::Inpaint, grey, network(28, 1), 4, false, "x.png");
        QVERIFY(input.notes.empty());
        QCOMPARE(cv::norm(cm::toDisplay8U(input.image), grey, cv::NORM_INF), 0.0);
    }

    void aWrongSizeIsRefusedOrFitted() {
        const cv::Mat wide = randomU8(30, 60, 3, 2);
        const cm::Error e = expectError(
            [&] { cm::prepareEditInput(cm::EditTask::Stroke, wide, network(28, 3), 4, false, "photo.jpg"); });
        QCOMPARE(e.kind(), cm::ErrorKind::Shape);
        QVERIFY(QString(e.what()).contains("photo.jpg is 60x30; this needs 28x28"));
        const auto fitted = cm::prepareEditInput(cm::EditTask::Stroke, wide, network(28, 3), 4, true, "photo.jpg");
        QCOMPARE(fitted.image.size(), cv::Size(28, 28));
        // Shorter side to 28, centre cropped: the middle column of the result is the middle of the photo.
        cv::Mat expected;
        cv::resize(wide, expected, cv::Size(56, 28), 0, 0, cv::INTER_AREA);
        QCOMPARE(cv::norm(cm::fitSquare(wide, 28), expected(cv::Rect(14, 0, 28, 28)), cv::NORM_INF), 0.0);
    }

    void colorizeKeepsTheLuminanceAndSaysColoursAreReplaced() {
        const cv::Mat colour = randomU8(32, 32, 3, 3);
        const auto input = cm::prepareEditInput(cm::EditTask::Colorize, colour, network(32, 3), 4, false, "c.png");
        QCOMPARE(input.image.channels(), 1);
        QCOMPARE(int(input.notes.size()), 1);
        QVERIFY(QString::fromStdString(input.notes[0]).contains("colours are replaced"));
        cv::Mat luminance;
        cv::cvtColor(colour, luminance, cv::COLOR_RGB2GRAY);
        QCOMPARE(cv::norm(cm::toDisplay8U(input.image), luminance, cv::NORM_INF), 0.0);
        // A grey picture stored as RGB is not "in colour".
        cv::Mat greyRgb;
        cv::cvtColor(luminance, greyRgb, cv::COLOR_GRAY2RGB);
        QVERIFY(cm::prepareEditInput(cm::EditTask::Colorize, greyRgb, network(32, 3), 4, false, "g").notes.empty());
        QCOMPARE(expectError([&] {
                     cm::prepareEditInput(cm::EditTask::Colorize, colour, network(32, 1), 4, false, "c.png");
                 }).kind(),
                 cm::ErrorKind::InvalidArgument);
    }

    void superResolutionTakesALowResolutionOrAFullSizeImage() {
        const cv::Mat low = randomU8(8, 8, 1, 4);
        const auto fromLow = cm::prepareEditInput(cm::EditTask::SuperResolution, low, network(32, 1), 4, false, "l");
        QCOMPARE(fromLow.image.size(), cv::Size(8, 8));
        const cv::Mat full = randomU8(32, 32, 1, 5);
        const auto fromFull = cm::prepareEditInput(cm::EditTask::SuperResolution, full, network(32, 1), 4, false, "f");
        QCOMPARE(fromFull.image.size(), cv::Size(8, 8));
        cv::Mat means;
        cv::resize(full, means, cv::Size(8, 8), 0, 0, cv::INTER_AREA);
        QCOMPARE(cv::norm(cm::toDisplay8U(fromFull.image), means, cv::NORM_INF), 0.0);
        for (int factor : {3, 16})
            QVERIFY(QString(expectError([&] {
                                cm::prepareEditInput(cm::EditTask::SuperResolution, full, network(32, 1), factor,
                                                     false, "f");
                            }).what())
                        .contains("2, 4 or 8"));
        QVERIFY(QString(expectError([&] {
                            cm::prepareEditInput(cm::EditTask::SuperResolution, full, network(28, 1), 8, false, "f");
                        }).what())
                    .contains("does not divide"));
    }

    void channelsAreAdapted() {
        const cv::Mat grey = randomU8(28, 28, 1, 6);
        const auto rgb = cm::prepareEditInput(cm::EditTask::Inpaint, grey, network(28, 3), 4, false, "g");
        QCOMPARE(rgb.image.channels(), 3);
        QVERIFY(rgb.notes.empty());
        const cv::Mat colour = randomU8(28, 28, 3, 7);
        const auto toGrey = cm::prepareEditInput(cm::EditTask::Inpaint, colour, network(28, 1), 4, false, "c");
        QCOMPARE(toGrey.image.channels(), 1);
        QVERIFY(QString::fromStdString(toGrey.notes.at(0)).contains("luminance is used"));
        QCOMPARE(expectError([&] {
                     cm::prepareEditInput(cm::EditTask::Inpaint, cv::Mat(28, 28, CV_32FC1), network(28, 1), 4, false,
                                          "f");
                 }).kind(),
                 cm::ErrorKind::InvalidArgument);
    }

    void masksAreCheckedOrFittedWithoutBlending() {
        cv::Mat mask = cv::Mat::zeros(40, 40, CV_8UC1);
        mask(cv::Rect(10, 10, 20, 20)).setTo(255);
        QVERIFY(QString(expectError([&] { cm::prepareEditMask(mask, 28, false, "m.png"); }).what())
                    .contains("the mask m.png is 40x40 but the image is 28x28"));
        const cv::Mat fitted = cm::prepareEditMask(mask, 28, true, "m.png");
        QCOMPARE(fitted.size(), cv::Size(28, 28));
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                QVERIFY(fitted.at<uint8_t>(y, x) == 0 || fitted.at<uint8_t>(y, x) == 255);
        QVERIFY(cv::countNonZero(fitted) > 0);
    }
};

QTEST_GUILESS_MAIN(TestEditInput)
#include "test_edit_input.moc"
