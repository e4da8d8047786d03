// core/untrusted_json: bounded parsing of JSON from files, and short descriptions of what was found.
#include "core/error.h"
#include "core/untrusted_json.h"
#include "expect_error.h"

#include <QtTest>

using cm::parseUntrustedJson;
using cmtest::expectError;

class TestUntrustedJson : public QObject {
    Q_OBJECT

    static QString rejection(const std::string& text, const cm::JsonLimits& limits = {}) {
        const cm::Error e = expectError([&] { parseUntrustedJson(text, "where", limits); });
        if (e.kind() != cm::ErrorKind::Format) return "wrong kind: " + QString(e.what());
        return QString::fromStdString(e.what());
    }

  private slots:
    void parsesOrdinaryJson() {
        const auto j =
            parseUntrustedJson(R"( {"a": [1, -2, 3.5, true, null, "x"], "b": {"c": {}}} )", "where");
        QCOMPARE(j["a"].size(), std::size_t(6));
        QCOMPARE(j["a"][1].get<int>(), -2);
        QCOMPARE(j["a"][5].get<std::string>(), std::string("x"));
        QVERIFY(j["b"]["c"].is_object());
        QCOMPARE(parseUntrustedJson("7", "where").get<int>(), 7);
        QCOMPARE(parseUntrustedJson(R"("\u0000")", "where").get<std::string>(), std::string(1, '\0'));
    }

    void rejects_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("empty") << QByteArray("") << "not valid JSON";
        QTest::newRow("syntax") << QByteArray("{\"a\": }") << "not valid JSON";
        QTest::newRow("trailing text") << QByteArray("{} {}") << "not valid JSON";
        QTest::newRow("number beyond double") << QByteArray("[1e400]") << "number overflow parsing '1e400'";
        QTest::newRow("80,000 arrays deep")
            << QByteArray(80000, '[') + QByteArray(80000, ']') << "nested deeper than 64";
        QTest::newRow("objects 65 deep")
            << QByteArray("{\"a\":").repeated(65) + "1" + QByteArray("}").repeated(65)
            << "nested deeper than 64";
        QTest::newRow("duplicate key") << QByteArray(R"({"a": 1, "b": 2, "a": 3})") << "\"a\" occurs twice";
        QTest::newRow("duplicate nested key")
            << QByteArray(R"([{"x": {"k": 1, "k": 1}}])") << "\"k\" occurs twice";
        QTest::newRow("byte-order mark") << QByteArray("\xEF\xBB\xBF{}") << "byte-order mark";
        QTest::newRow("raw control in a string") << QByteArray("[\"a\x01\"]") << "not valid JSON";
        QTest::newRow("invalid UTF-8") << QByteArray("[\"\xFF\"]") << "not valid JSON";
        QTest::newRow("comment") << QByteArray("{} // no") << "not valid JSON";
    }
    void rejects() {
        QFETCH(QByteArray, text);
        QFETCH(QString, phrase);
        const QString message = rejection(text.toStdString());
        QVERIFY2(message.startsWith("where: ") && message.contains(phrase), qPrintable(message));
    }

    void limitsAreEnforced() {
        const std::string sixtyFour = std::string(64, '[') + std::string(64, ']');
        QVERIFY(parseUntrustedJson(sixtyFour, "where").is_array());
        cm::JsonLimits small;
        small.maxValues = 5;
        QVERIFY(parseUntrustedJson("[1, 2, 3, 4]", "where", small).is_array()); // 5 values with the array
        QVERIFY(rejection("[1, 2, 3, 4, 5]", small).contains("more than 5 JSON values"));
        QVERIFY(rejection(R"({"a": 1, "b": 2, "c": 3})", small).contains("more than 5"));
    }

    void errorsAreShortAndEscaped() {
        // A 10 MB string that turns out invalid at its end: the parser's message quotes all of it.
        const std::string text = "[\"" + std::string(10 << 20, 'x') + "\x1b\"]";
        const QString message = rejection(text);
        QVERIFY2(message.size() < 400, qPrintable(message.left(400)));
        QVERIFY2(message.contains("bytes)"), qPrintable(message));
        const QString key = rejection("{\"\\u001b[31m\": 1, \"\\u001b[31m\": 2}");
        QVERIFY2(key.contains("\"\\x1b[31m\" occurs twice"), qPrintable(key));
    }

    void describesValuesWithoutDumpingThem() {
        using cm::describeJsonValue;
        QCOMPARE(describeJsonValue(nlohmann::json(3)), std::string("3"));
        QCOMPARE(describeJsonValue(nlohmann::json(-1.5)), std::string("-1.5"));
        QCOMPARE(describeJsonValue(nlohmann::json(true)), std::string("true"));
        QCOMPARE(describeJsonValue(nlohmann::json(nullptr)), std::string("null"));
        QCOMPARE(describeJsonValue(nlohmann::json("F\n32")), std::string("\"F\\n32\""));
        QCOMPARE(describeJsonValue(nlohmann::json(std::string(1000, 'a'))),
                 "\"" + std::string(40, 'a') + "... (1000 bytes)\"");
        QCOMPARE(describeJsonValue(parseUntrustedJson("[[[1]], 2]", "where")),
                 std::string("an array of 2 values"));
        QCOMPARE(describeJsonValue(parseUntrustedJson(R"({"a": {"b": 1}})", "where")),
                 std::string("an object with 1 keys"));
    }
};

QTEST_APPLESS_MAIN(TestUntrustedJson)
#include "test_untrusted_json.moc"
