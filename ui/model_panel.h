// The model side panel: the bundled models to pick from, a button to open any model file, and the
// loaded model's card (kind, size, channels, classes, training recipe, steps, data set).
#pragma once

#include "engine_types.h"

#include <QWidget>

class QListWidget;
class QTextBrowser;

class ModelPanel : public QWidget {
    Q_OBJECT
  public:
    explicit ModelPanel(const QStringList& bundledModels, QWidget* parent = nullptr);

    void showModel(const ModelInfo& model);
    static QString cardHtml(const ModelInfo& model);
    QString highlightedModel() const; // the path of the bundled model the list highlights, or empty

  signals:
    void modelRequested(const QString& path);
    void openFileRequested();

  private:
    QListWidget* m_bundled = nullptr;
    QTextBrowser* m_card = nullptr;
};
