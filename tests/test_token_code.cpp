// Token codes as hex text: the round trip, the digit count, and every malformed text refused in one line.
#include "core/error.h"
#include "core/tokenizer/token_code.h"
#include "expect_error.h"

#include <QtTest>

#include <random>

using cm::TokenCode;

class TestTokenCode : public QObject {
    Q_OBJECT

  private slots:
    void roundTripsEveryBitCount() {
        std::mt19937 random(7);
        for (int bits : {1, 3, 4, 5, 55, 176, 220}) {
            TokenCode code;
            for (int b = 0; b < bits; ++b)
                code.bits.push_back(uint8_t(random() & 1));
            const std::string hex = cm::codeToHex(code);
            QCOMPARE(int(hex.size()), cm::hexDigitsForBits(bits));
            QVERIFY(cm::codeFromHex(hex, bits, "test") == code);
        }
    }

    void bitOrderIsMostSignificantFirst() {
        TokenCode code{{1, 0, 0, 0, 0, 1, 1}}; // 1000 011(0)
        QCOMPARE(QString::fromStdString(cm::codeToHex(code)), QString("86"));
        QCOMPARE(cm::hexDigitsForBits(55), 14);
        QVERIFY(cm::codeFromHex("  86\n", 7, "test") == code);
        QVERIFY(cm::codeFromHex("8A", 7, "test").bits[6] == 1);
    }

    void malformedTextIsRefused_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("too short") << "8" << "1 hex digits";
        QTest::newRow("too long") << "860" << "3 hex digits";
        QTest::newRow("not hex") << "8g" << "not hexadecimal";
        QTest::newRow("inner space") << "8 6" << "not hexadecimal";
        QTest::newRow("padding bit set") << "87" << "padding bits";
        QTest::newRow("empty") << "" << "0 hex digits";
        QTest::newRow("control byte") << "8\x1b" << "\\x1b";
    }
    void malformedTextIsRefused() {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const auto error = cmtest::expectError([&] { cm::codeFromHex(text.toStdString(), 7, "--code"); });
        QCOMPARE(error.kind(), cm::ErrorKind::InvalidArgument);
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.contains("7 bits"), qPrintable(message));
        QVERIFY(!message.contains('\n'));
    }
};

QTEST_APPLESS_MAIN(TestTokenCode)
#include "test_token_code.moc"
