// Tests translations/*.ts and their use: every message translated with its placeholders intact, the
// zh_CN catalogue covering exactly what lupdate extracts from the sources now, the English catalogue
// holding the plural forms, and both compiled catalogues embedded in the program under :/i18n.
#include "ui/localization.h"

#include <QCoreApplication>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QtTest>

namespace {

const QString kTranslations = QStringLiteral(CMSTUDIO_SOURCE_DIR "/translations/");

struct Message {
    QString context;
    QString source;
    QString comment; // lupdate's disambiguation: the same source in one context may mean two things
    bool numerus = false;
    QString type;             // the translation's type attribute: "", "unfinished", "vanished", "obsolete"
    QStringList translations; // one, or one per plural form
    QString key() const { return context + QLatin1Char('|') + source + QLatin1Char('|') + comment; }
};

struct Catalogue {
    QString language;
    QVector<Message> messages;
    QString error;
};

Catalogue readTs(const QString& path) {
    Catalogue catalogue;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        catalogue.error = path + QStringLiteral(": ") + file.errorString();
        return catalogue;
    }
    QXmlStreamReader xml(&file);
    QString context;
    Message message;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement) continue;
        const auto name = xml.name();
        if (name == QLatin1String("TS")) {
            catalogue.language = xml.attributes().value(QLatin1String("language")).toString();
        } else if (name == QLatin1String("context")) {
            context.clear();
        } else if (name == QLatin1String("name")) {
            context = xml.readElementText();
        } else if (name == QLatin1String("message")) {
            message = Message();
            message.context = context;
            message.numerus = xml.attributes().value(QLatin1String("numerus")) == QLatin1String("yes");
        } else if (name == QLatin1String("source")) {
            message.source = xml.readElementText();
        } else if (name == QLatin1String("comment")) {
            message.comment = xml.readElementText();
        } else if (name == QLatin1String("translation")) {
            message.type = xml.attributes().value(QLatin1String("type")).toString();
            if (message.numerus) {
                while (xml.readNextStartElement())
                    if (xml.name() == QLatin1String("numerusform"))
                        message.translations << xml.readElementText();
                    else
                        xml.skipCurrentElement();
            } else {
                message.translations << xml.readElementText();
            }
            // The translation closes the message as far as these tests are concerned.
            catalogue.messages << message;
        }
    }
    if (xml.hasError())
        catalogue.error = QStringLiteral("%1:%2: %3").arg(path).arg(xml.lineNumber()).arg(xml.errorString());
    return catalogue;
}

// %1..%99 (also %L1) in sorted order, and %n: what QString::arg() and tr() substitute.
QStringList placeholders(const QString& text) {
    static const QRegularExpression pattern(QStringLiteral("%(L?[1-9][0-9]?|n)"));
    QSet<QString> found;
    for (auto it = pattern.globalMatch(text); it.hasNext();)
        found.insert(it.next().captured(1).remove(QLatin1Char('L')));
    QStringList sorted(found.begin(), found.end());
    sorted.sort();
    return sorted;
}

// The HTML tags of a rich-text string, in order.
QStringList tags(const QString& text) {
    static const QRegularExpression pattern(QStringLiteral("</?[a-zA-Z][^>]*>"));
    QStringList found;
    for (auto it = pattern.globalMatch(text); it.hasNext();)
        found << it.next().captured(0);
    return found;
}

// "&File" has a keyboard accelerator; "R&D" in a sentence would too, "&&" is a literal ampersand.
bool hasAccelerator(const QString& text) {
    static const QRegularExpression pattern(QStringLiteral("(^|[^&])&[^&\\s]"));
    return pattern.match(text).hasMatch();
}

QString describe(const Message& m) {
    return QStringLiteral("[%1] \"%2\"").arg(m.context, QString(m.source).replace(QLatin1Char('\n'), "\\n"));
}

QStringList problems(const Catalogue& catalogue, int pluralForms) {
    QStringList found;
    QSet<QString> seen;
    for (const Message& m : catalogue.messages) {
        const QString what = describe(m);
        if (seen.contains(m.key())) found << what + QStringLiteral(": listed twice");
        seen.insert(m.key());
        if (!m.type.isEmpty()) {
            found << what + QStringLiteral(": type=\"%1\"").arg(m.type);
            continue;
        }
        if (m.numerus && m.translations.size() != pluralForms)
            found << what + QStringLiteral(": %1 plural forms, %2 expected")
                                .arg(m.translations.size())
                                .arg(pluralForms);
        for (const QString& t : m.translations) {
            if (t.trimmed().isEmpty()) {
                found << what + QStringLiteral(": empty translation");
                continue;
            }
            if (placeholders(t) != placeholders(m.source))
                found << what + QStringLiteral(": placeholders %1 in \"%2\", %3 in the source")
                                    .arg(placeholders(t).join(','), t, placeholders(m.source).join(','));
            if (tags(t) != tags(m.source))
                found << what + QStringLiteral(": HTML tags differ in \"%1\"").arg(t);
            if (hasAccelerator(t) != hasAccelerator(m.source))
                found << what + QStringLiteral(": the &-accelerator is %1 in \"%2\"")
                                    .arg(hasAccelerator(t) ? QStringLiteral("added") : QStringLiteral("lost"),
                                         t);
        }
    }
    return found;
}

// The messages lupdate extracts from the sources now, as the update_translations target would.
QVector<Message> extractNow(const QString& directory, QString* error) {
    const QString ts = directory + QStringLiteral("/extracted_zh_CN.ts");
    QProcess lupdate;
    lupdate.setProcessChannelMode(QProcess::MergedChannels);
    lupdate.start(QStringLiteral(CMSTUDIO_LUPDATE),
                  {QStringLiteral("-locations"), QStringLiteral("none"), QStringLiteral("-silent"),
                   QStringLiteral("@" CMSTUDIO_LUPDATE_SOURCES), QStringLiteral("-ts"), ts});
    if (!lupdate.waitForFinished(120000) || lupdate.exitStatus() != QProcess::NormalExit ||
        lupdate.exitCode() != 0) {
        *error = QStringLiteral("lupdate failed (%1): %2")
                     .arg(lupdate.errorString(), QString::fromLocal8Bit(lupdate.readAll()));
        return {};
    }
    const Catalogue extracted = readTs(ts);
    *error = extracted.error;
    return extracted.messages;
}

QStringList keys(const QVector<Message>& messages, bool numerusOnly = false) {
    QStringList out;
    for (const Message& m : messages)
        if (!numerusOnly || m.numerus) out << m.key();
    out.sort();
    return out;
}

QStringList minus(const QStringList& a, const QStringList& b) {
    const QSet<QString> bs(b.begin(), b.end());
    QStringList out;
    for (const QString& x : a)
        if (!bs.contains(x)) out << x;
    return out;
}

void removeOurTranslators() {
    for (QTranslator* translator : QCoreApplication::instance()->findChildren<QTranslator*>()) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
    }
}

} // namespace

class TestTranslations : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QVector<Message> m_extracted;
    QString m_extractError;

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_extracted = extractNow(m_dir.path(), &m_extractError);
    }

    void everyMessageIsTranslated_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("language");
        QTest::addColumn<int>("pluralForms");
        QTest::newRow("zh_CN") << "cmstudio_zh_CN.ts"
                               << "zh_CN" << 1; // Chinese has one plural form
        QTest::newRow("en") << "cmstudio_en.ts"
                            << "en" << 2;
    }

    void everyMessageIsTranslated() {
        QFETCH(QString, file);
        QFETCH(QString, language);
        QFETCH(int, pluralForms);
        const Catalogue catalogue = readTs(kTranslations + file);
        QVERIFY2(catalogue.error.isEmpty(), qPrintable(catalogue.error));
        QCOMPARE(catalogue.language, language);
        QVERIFY(!catalogue.messages.isEmpty());
        const QStringList found = problems(catalogue, pluralForms);
        QVERIFY2(found.isEmpty(),
                 qPrintable(QStringLiteral("%1 problem(s) in %2:\n").arg(found.size()).arg(file) +
                            found.join('\n')));
    }

    // A string added to or changed in the code fails here until the catalogue is updated
    // (cmake --build <dir> --target update_translations) and the new entries are translated.
    void chineseCoversTheSourcesNow() {
        QVERIFY2(m_extractError.isEmpty(), qPrintable(m_extractError));
        QVERIFY(m_extracted.size() > 100);
        const Catalogue committed = readTs(kTranslations + "cmstudio_zh_CN.ts");
        QVERIFY2(committed.error.isEmpty(), qPrintable(committed.error));
        const QStringList now = keys(m_extracted), have = keys(committed.messages);
        const QStringList untranslated = minus(now, have), stale = minus(have, now);
        QVERIFY2(untranslated.isEmpty(),
                 qPrintable(QStringLiteral("not in cmstudio_zh_CN.ts:\n") + untranslated.join('\n')));
        QVERIFY2(stale.isEmpty(),
                 qPrintable(QStringLiteral("no longer in the sources:\n") + stale.join('\n')));
        QCOMPARE(committed.messages.size(), m_extracted.size());
    }

    void englishHoldsExactlyThePluralForms() {
        QVERIFY2(m_extractError.isEmpty(), qPrintable(m_extractError));
        const Catalogue english = readTs(kTranslations + "cmstudio_en.ts");
        QVERIFY2(english.error.isEmpty(), qPrintable(english.error));
        const QStringList plurals = keys(m_extracted, true);
        QVERIFY(!plurals.isEmpty());
        QCOMPARE(keys(english.messages), plurals);
    }

    void embeddedCataloguesTranslate() {
        QVERIFY(QFile::exists(":/i18n/cmstudio_zh_CN.qm"));
        QVERIFY(QFile::exists(":/i18n/cmstudio_en.qm"));
        QTranslator zh;
        QVERIFY(zh.load(QLocale(QLocale::Chinese, QLocale::China), "cmstudio", "_", ":/i18n"));
        QCOMPARE(zh.language(), QStringLiteral("zh_CN"));
        QCOMPARE(zh.translate("MainWindow", "Generate"), QStringLiteral("生成"));
        QCOMPARE(zh.translate("MainWindow", "&File"), QStringLiteral("文件(&F)"));
        QCOMPARE(zh.translate("EditView", "Inpaint"), QStringLiteral("修复"));
        QCOMPARE(zh.translate("MainWindow", "Ctrl+Shift+O"), QStringLiteral("Ctrl+Shift+O"));
        QCOMPARE(zh.translate("MainWindow", "Saved %n image(s) to %1", "", 3),
                 QStringLiteral("已将 %n 张图像保存到 %1"));
        QTranslator en;
        QVERIFY(en.load("cmstudio_en", ":/i18n"));
        QCOMPARE(en.translate("GenerateView", "%n step(s)", "", 1), QStringLiteral("%n step"));
        QCOMPARE(en.translate("GenerateView", "%n step(s)", "", 4), QStringLiteral("%n steps"));
        QVERIFY(en.translate("MainWindow", "Generate").isEmpty()); // the source string stands
    }

    void installTranslationsPicksTheCatalogue_data() {
        QTest::addColumn<QString>("requested");
        QTest::addColumn<QString>("installed");
        QTest::addColumn<QString>("generate");
        QTest::addColumn<QString>("oneStep");
        QTest::newRow("zh_CN") << "zh_CN"
                               << "zh_CN"
                               << "生成"
                               << "1 步";
        QTest::newRow("en") << "en"
                            << "en"
                            << "Generate"
                            << "1 step";
        QTest::newRow("en_GB") << "en_GB"
                               << "en"
                               << "Generate"
                               << "1 step";
        QTest::newRow("C") << "C"
                           << "en"
                           << "Generate"
                           << "1 step";
        QTest::newRow("de_DE (no catalogue)") << "de_DE"
                                              << "en"
                                              << "Generate"
                                              << "1 step";
    }

    void installTranslationsPicksTheCatalogue() {
        QFETCH(QString, requested);
        QFETCH(QString, installed);
        QFETCH(QString, generate);
        QFETCH(QString, oneStep);
        removeOurTranslators();
        QCOMPARE(installTranslations(requested), installed);
        QCOMPARE(QCoreApplication::translate("MainWindow", "Generate"), generate);
        QCOMPARE(QCoreApplication::translate("GenerateView", "%n step(s)", nullptr, 1), oneStep);
        removeOurTranslators();
    }
};

QTEST_MAIN(TestTranslations)
#include "test_translations.moc"
