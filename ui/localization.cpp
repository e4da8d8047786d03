#include "localization.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTranslator>

QString installTranslations(const QString& override) {
    QString language = override.isEmpty() ? QSettings().value("language").toString() : override;
    const QLocale locale = language.isEmpty() ? QLocale::system() : QLocale(language);
    auto* app = QCoreApplication::instance();
    auto* own = new QTranslator(app);
    // qt_add_translations embeds the compiled catalogues under :/i18n.
    if (!own->load(locale, "cmstudio", "_", ":/i18n") || own->language().startsWith(QLatin1String("en"))) {
        // The English source strings; their catalogue holds only the plural forms ("1 image", "2 images").
        if (own->load("cmstudio_en", ":/i18n"))
            QCoreApplication::installTranslator(own);
        else
            delete own;
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        return "en";
    }
    QCoreApplication::installTranslator(own);
    auto* qt = new QTranslator(app);
    if (qt->load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;
    QLocale::setDefault(locale);
    return locale.name();
}
