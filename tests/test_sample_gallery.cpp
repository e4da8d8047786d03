// SampleGallery, offscreen with the real widget: the thumbnails a user sees (and clicks) after batch after
// batch, and a selection that shows.
#include "ui/sample_gallery.h"

#include <QApplication>
#include <QListWidget>
#include <QScrollBar>
#include <QSlider>
#include <QTest>

namespace {

QVector<QImage> batch(int count, int shade) {
    QVector<QImage> images;
    for (int i = 0; i < count; ++i) {
        QImage image(28, 28, QImage::Format_Grayscale8);
        image.fill(uchar((shade + 7 * i) % 200 + 40)); // never white: white is the empty view's colour
        images << image;
    }
    return images;
}

QVector<QVariantMap> seeds(int count) {
    QVector<QVariantMap> settings;
    for (int i = 0; i < count; ++i) settings << QVariantMap{{"seed", QString::number(i)}};
    return settings;
}

// The number of item rows that answer a click at the viewport's top-left thumbnails.
int clickableThumbnails(QListWidget* list) {
    int hits = 0;
    for (int x = 10; x < 200; x += 30)
        if (list->indexAt(QPoint(x, 10)).isValid()) ++hits;
    return hits;
}

} // namespace

class TestSampleGallery : public QObject {
    Q_OBJECT
  private slots:
    // 64 -> 64 with a scrollbar once left the view blank: white, clicks hitting nothing, until Zoom moved.
    void aSecondBatchOfTheSameSizeIsShownAndClickable_data() {
        QTest::addColumn<int>("first");
        QTest::addColumn<int>("second");
        QTest::newRow("64 -> 64") << 64 << 64;
        QTest::newRow("40 -> 40") << 40 << 40;
        QTest::newRow("20 -> 40") << 20 << 40;
        QTest::newRow("64 -> 8") << 64 << 8;
    }
    void aSecondBatchOfTheSameSizeIsShownAndClickable() {
        QFETCH(int, first);
        QFETCH(int, second);
        SampleGallery gallery;
        gallery.resize(420, 320);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        auto* list = gallery.findChild<QListWidget*>();
        QVERIFY(list);
        gallery.setSamples(batch(first, 0), seeds(first));
        QTest::qWait(50);
        QVERIFY(clickableThumbnails(list) > 0);
        gallery.setSamples(batch(second, 90), seeds(second));
        QTest::qWait(50);
        QVERIFY2(clickableThumbnails(list) > 0, "the gallery shows no thumbnail where the first ones are");
        QCOMPARE(list->indexAt(QPoint(10, 10)).row(), 0);
        // And they are painted: the top-left thumbnail has the first image's grey, not the empty white.
        const QImage shown = list->viewport()->grab().toImage();
        const QRect first0 = list->visualRect(list->model()->index(0, 0));
        QVERIFY(list->viewport()->rect().intersects(first0));
        QCOMPARE(qGray(shown.pixel(first0.center())), qGray(batch(second, 90)[0].pixel(14, 14)));
    }

    // A selected thumbnail looks different from an unselected one (Save Selected and Copy act on it),
    // while the pixels of the image itself stay as they are.
    void theSelectionIsVisibleAndTheImageUnchanged() {
        SampleGallery gallery;
        gallery.resize(420, 320);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        gallery.setSamples(batch(6, 0), seeds(6));
        auto* list = gallery.findChild<QListWidget*>();
        list->clearSelection();
        list->setCurrentIndex(QModelIndex());
        QTest::qWait(20);
        const QRect item = list->visualRect(list->model()->index(2, 0));
        const QImage before = list->viewport()->grab(item).toImage();
        list->selectionModel()->select(list->model()->index(2, 0), QItemSelectionModel::Select);
        QTest::qWait(20);
        const QImage after = list->viewport()->grab(item).toImage();
        QCOMPARE(gallery.selectedIndices(), QVector<int>{2});
        QCOMPARE(before.size(), after.size());
        int changed = 0;
        for (int y = 0; y < before.height(); ++y)
            for (int x = 0; x < before.width(); ++x) changed += before.pixel(x, y) != after.pixel(x, y);
        QVERIFY2(changed > 2 * (before.width() + before.height()), qPrintable(QString("%1 pixels changed").arg(changed)));
        // The centre of the thumbnail still shows the sample's own grey.
        QCOMPARE(qGray(after.pixel(after.rect().center())), qGray(batch(6, 0)[2].pixel(14, 14)));
    }

    // At 1600 x 1000 the thumbnails stayed at 3x and most of the space was empty: with Fit (the default)
    // the zoom is the largest whole one at which the batch fits, and follows the gallery's size.
    void thumbnailsGrowWithTheSpace() {
        QCOMPARE(SampleGallery::fittingZoom(QSize(28, 28), 16, QSize(416, 316)), 2);
        QCOMPARE(SampleGallery::fittingZoom(QSize(28, 28), 16, QSize(1196, 896)), 7);
        QCOMPARE(SampleGallery::fittingZoom(QSize(28, 28), 1000, QSize(400, 300)), 1);
        SampleGallery gallery;
        gallery.resize(420, 340);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        gallery.setSamples(batch(16, 0), seeds(16));
        const int small = gallery.zoom();
        gallery.resize(1200, 940);
        QTRY_VERIFY(gallery.zoom() > small + 2);
        auto* list = gallery.findChild<QListWidget*>();
        const QRect last = list->visualRect(list->model()->index(15, 0));
        QVERIFY2(list->viewport()->rect().contains(last), "the batch does not fit at the fitted zoom");
        QVERIFY(!list->verticalScrollBar()->isVisible());
        // A zoom the user picks stays when the window changes.
        gallery.findChild<QSlider*>()->setValue(3);
        gallery.resize(800, 600);
        QTest::qWait(20);
        QCOMPARE(gallery.zoom(), 3);
    }
};

QTEST_MAIN(TestSampleGallery)
#include "test_sample_gallery.moc"
