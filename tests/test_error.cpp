// core/error: error kinds and describeUntrusted, the one way text from a file reaches a message or a
// printout.
#include "core/error.h"

#include <QtTest>

using cm::describeUntrusted;

class TestError : public QObject {
    Q_OBJECT

  private slots:
    void kindNames() {
        QCOMPARE(QString(cm::errorKindName(cm::ErrorKind::Format)), QString("format error"));
        const cm::Error e(cm::ErrorKind::Io, "disk full");
        QCOMPARE(int(e.kind()), int(cm::ErrorKind::Io));
        QCOMPARE(QString(e.what()), QString("disk full"));
    }

    void escapesAndKeeps_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("plain") << QByteArray("fashion-mnist") << QByteArray("fashion-mnist");
        QTest::newRow("empty") << QByteArray() << QByteArray();
        QTest::newRow("Chinese") << QByteArray("时尚 MNIST") << QByteArray("时尚 MNIST");
        QTest::newRow("emoji") << QByteArray("\xF0\x9F\x91\x95") << QByteArray("\xF0\x9F\x91\x95");
        QTest::newRow("escape sequence")
            << QByteArray("\x1b[2J\x1b]0;t\x07") << QByteArray("\\x1b[2J\\x1b]0;t\\x07");
        QTest::newRow("line breaks and tab") << QByteArray("a\nb\r\tc") << QByteArray("a\\nb\\r\\tc");
        QTest::newRow("NUL and DEL") << QByteArray("a\0b\x7f", 4) << QByteArray("a\\x00b\\x7f");
        QTest::newRow("C1 control (CSI)") << QByteArray("\xC2\x9B"
                                                        "31m")
                                          << QByteArray("\\xc2\\x9b31m");
        QTest::newRow("right-to-left override") << QByteArray("a\xE2\x80\xAE"
                                                              "b")
                                                << QByteArray("a\\xe2\\x80\\xaeb");
        QTest::newRow("invalid UTF-8") << QByteArray("\xFF\xC3(") << QByteArray("\\xff\\xc3(");
        QTest::newRow("overlong slash") << QByteArray("\xC0\xAF") << QByteArray("\\xc0\\xaf");
        QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80") << QByteArray("\\xed\\xa0\\x80");
        QTest::newRow("cut sequence") << QByteArray("\xE6\x97") << QByteArray("\\xe6\\x97");
    }
    void escapesAndKeeps() {
        QFETCH(QByteArray, text);
        QFETCH(QByteArray, shown);
        QCOMPARE(QByteArray::fromStdString(describeUntrusted(text.toStdString())), shown);
    }

    void longTextIsCutAtACharacterBoundary() {
        const std::string tenMegabytes(10 << 20, 'x');
        const std::string shown = describeUntrusted(tenMegabytes, 80);
        QCOMPARE(shown, std::string(80, 'x') + "... (10485760 bytes)");
        // 30 three-byte characters in a budget of 80 bytes: 26 fit, none is split.
        std::string chinese;
        for (int i = 0; i < 30; ++i)
            chinese += "\xE5\xAD\x97";
        const std::string cut = describeUntrusted(chinese, 80);
        QCOMPARE(cut, chinese.substr(0, 78) + "... (90 bytes)");
        // An escape is never split either.
        QCOMPARE(describeUntrusted("ab\x1b", 4), std::string("ab... (3 bytes)"));
        QCOMPARE(describeUntrusted("abc", 3), std::string("abc"));
    }
};

QTEST_APPLESS_MAIN(TestError)
#include "test_error.moc"
