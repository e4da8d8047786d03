// The Compress tab: an image as a tokenizer's few dozen bits and back (core/tokenizer). An image (opened,
// dropped, or the gallery's selected sample) is fitted to the tokenizer's size and encoded; the code shows
// as bits and hex (copyable); its reconstructions by the one-step decoder and by the N-step flow decoder
// stand beside the original with their figures (bits, bits per pixel, PSNR, evaluations, time). A pasted
// code is decoded the same way. All network work runs on the engine's worker thread.
//
// Under them, for an encoded image, the baselines at the same bit count the engine found for the tokenizer
// (the deterministic autoencoder, k-means of patches) and JPEG and WebP at their smallest recognisable file,
// each with its PSNR and bits; what is missing says why. "Generate codes" draws new codes from the
// tokenizer's stage-2 code generator (seeded) and shows their decodes in the same place.
//
// The autoencoder and the code generator are those beside the tokenizer file unless the user chose others
// ("Open autoencoder…", "Open code generator…"): a chosen file is checked as the ones beside it are
// (core/tokenizer/tokenizer_companions.h), refused with the reason otherwise, and remembered per tokenizer
// until cleared. Every reason core gives (cm::CompanionProblem) is worded here, translated.
#pragma once

#include "engine_types.h"

#include <QWidget>

#include <map>

class Engine;
class QComboBox;
class QGridLayout;
class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class SampleGallery;

class CompressView : public QWidget {
    Q_OBJECT
  public:
    explicit CompressView(Engine* engine, QWidget* parent = nullptr);

    void setGallery(SampleGallery* gallery); // the source of "Use selected sample"
    void loadTokenizer(const QString& path);
    // The image to encode: kept as given, and fitted (centre square, resized) to the tokenizer's size
    // and channels when it is encoded. False with a message for a file that is not an image.
    bool openImageFile(const QString& path, QString* error);
    void setImage(const QImage& image);
    void useSelectedSample();
    void compress();     // encode the image and decode its code
    void decodePasted(); // decode the hex code typed or pasted into the code field
    void copyCode() const;
    void generateCodes(); // new images from the code generator (enabled when the tokenizer has one)
    // A file to use instead of the one found beside the tokenizer: checked at once (headers only), then
    // remembered for this tokenizer and loaded with it. False, with the reason in the error bar and
    // nothing changed, when it does not fit or no tokenizer is loaded.
    bool chooseAutoencoder(const QString& path);
    bool chooseCodeGenerator(const QString& path);
    // Back to the ones beside the tokenizer.
    void clearChosenAutoencoder();
    void clearChosenCodeGenerator();
    QString chosenAutoencoder() const; // "" when none is chosen for the loaded tokenizer
    QString chosenCodeGenerator() const;
    QString problemText(const cm::CompanionProblem& problem) const; // one translated line

    const TokenizerInfo& tokenizer() const { return m_tokenizer; }
    QImage sourceImage() const { return m_source; }
    QImage encodedImage() const; // the source as the tokenizer sees it (null without both)
    const CodeResult& result() const { return m_result; }
    QString hexText() const;
    QString bitsText() const;
    QString reconstructionCaption(const Reconstruction& reconstruction) const;
    QString figuresText(const Reconstruction& reconstruction) const;
    QString baselineCaption(const BaselineImage& baseline) const;
    QString baselineFigures(const BaselineImage& baseline) const;
    const GeneratedCodes& generated() const { return m_generated; }
    QString notesText() const; // under the columns: the baselines left out and why
    QString autoencoderText() const; // the autoencoder baseline in use, or why there is none
    QString codeGeneratorText() const;
    // The result columns as shown: caption and figures under each image (original first).
    QStringList columnCaptions() const;
    QStringList columnFigures() const;

    QComboBox* tokenizerPicker() const { return m_picker; }
    QSpinBox* steps() const { return m_steps; }
    QSpinBox* seed() const { return m_seed; }
    QPushButton* compressButton() const { return m_compress; }
    QPushButton* decodeButton() const { return m_decode; }
    QLineEdit* codeInput() const { return m_codeInput; }
    QHBoxLayout* actionRow() const { return m_actions; }
    QPushButton* generateButton() const { return m_generate; }
    QSpinBox* generateSeed() const { return m_generateSeed; }
    QSpinBox* generateCount() const { return m_generateCount; }
    QComboBox* generateClass() const { return m_generateClass; }
    QPushButton* openAutoencoderButton() const { return m_openAutoencoder; }
    QPushButton* clearAutoencoderButton() const { return m_clearAutoencoder; }
    QPushButton* openCodeGeneratorButton() const { return m_openGenerator; }
    QPushButton* clearCodeGeneratorButton() const { return m_clearGenerator; }

  signals:
    void errorOccurred(const QString& message);
    void errorResolved(const QString& message);
    void tokenizerReady(const TokenizerInfo& info);
    void resultReady(const CodeResult& result);
    void codesGenerated(const GeneratedCodes& generated);

  protected:
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void onTokenizerLoaded(int job, const TokenizerInfo& info);
    void onFinished(const JobResult& result);
    void showResult(const CodeResult& result);
    void showSource();
    void updateControls();
    void run(const CompressRequest& request);
    void rememberTokenizer(const QString& path);
    void rebuildPicker();
    void clearColumns();
    // Column `column` of block `block` (a heading row, then image, caption and figures rows).
    void addColumn(const QImage& image, const QString& caption, const QString& figures, int block = 0,
                   int column = -1);
    void addHeading(const QString& text, int block);
    void showGenerated(const GeneratedCodes& generated);
    enum class Companion { Autoencoder, CodeGenerator };
    bool chooseCompanion(Companion which, const QString& path);
    void clearChosen(Companion which);
    void showCompanions();

    Engine* m_engine;
    SampleGallery* m_gallery = nullptr;
    TokenizerInfo m_tokenizer;
    QStringList m_bundled;
    QImage m_source;
    CodeResult m_result;
    GeneratedCodes m_generated;
    int m_loadJob = 0, m_job = 0;
    QString m_lastError;

    QComboBox* m_picker = nullptr;
    QLabel* m_tokenizerInfo = nullptr;
    QLabel* m_sourceInfo = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_seed = nullptr;
    QPushButton* m_compress = nullptr;
    QPushButton* m_decode = nullptr;
    QPushButton* m_useSelected = nullptr;
    QLineEdit* m_hex = nullptr;
    QPlainTextEdit* m_bits = nullptr;
    QLineEdit* m_codeInput = nullptr;
    QLabel* m_codeInfo = nullptr;
    QHBoxLayout* m_actions = nullptr;
    QGridLayout* m_columns = nullptr;
    QLabel* m_notes = nullptr;
    QPushButton* m_generate = nullptr;
    QSpinBox* m_generateSeed = nullptr;
    QSpinBox* m_generateCount = nullptr;
    QComboBox* m_generateClass = nullptr;
    QLabel* m_generateInfo = nullptr;
    QLabel* m_autoencoderInfo = nullptr;
    QPushButton* m_openAutoencoder = nullptr;
    QPushButton* m_clearAutoencoder = nullptr;
    QPushButton* m_openGenerator = nullptr;
    QPushButton* m_clearGenerator = nullptr;
    QStringList m_captions, m_figures;
    std::map<int, int> m_blockColumns; // columns used per block of the grid
};
