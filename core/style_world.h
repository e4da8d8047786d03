// The miniature style world of DEADiff (issue 19): content is a Fashion-MNIST garment named by a short
// prompt, style is how it is rendered (a palette taken from the Noto emoji artwork, a texture, a
// background). Renders 32x32 RGB images and draws the paired data DEADiff trains on: same style and
// different content, same content and different style, identical pairs for reconstruction (1:1:1).
// Torch-free and deterministic: every render and every draw takes a seed.
#pragma once

#include "core/dataset.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace cm {

inline constexpr int kStyledImageSize = 32;
// A garment pixel belongs to the silhouette when its Fashion-MNIST intensity (0..1) reaches this; below it
// the background shows. The faint fringe under it is anti-aliasing and scanner noise, not shape.
inline constexpr float kSilhouetteThreshold = 0.1f;

// ---- content: the prompt vocabulary -------------------------------------------------------------

// The canonical prompt of each Fashion-MNIST class, in label order ("t-shirt", "trouser", ...).
const std::vector<std::string>& garmentPrompts();
// Every accepted word or phrase and the class it names (canonical prompts plus aliases such as "tee",
// "pants", "boot"), for the error message and the README.
std::string garmentVocabularyText();
// The class a prompt names: case-insensitive, articles ("a", "an", "the") and a plural 's' ignored,
// "ankle boot" and "ankle-boot" alike. Anything else is cm::Error(InvalidArgument) listing the vocabulary.
int parseGarmentPrompt(const std::string& prompt);

// ---- style: palettes, textures, backgrounds -----------------------------------------------------

// Colours are 8-bit RGB, sorted dark to light by luma.
struct Palette {
    std::array<cv::Vec3b, 3> colours;
    int64_t sourceImage = -1; // index of the emoji it was taken from (sorted path order)
};

enum class TextureKind { Stripes, Dots, Checks, Gradient, Noise };
const char* textureKindName(TextureKind kind);

// One texture setting: angle in degrees, scale in pixels (the stripe/dot/check period, the noise cell).
struct TextureSetting {
    TextureKind kind = TextureKind::Stripes;
    int angleDegrees = 0;
    int scale = 4;
};
// The fixed table of texture settings (35); StyleSpec::texture indexes it.
const std::vector<TextureSetting>& textureSettings();

enum class BackgroundKind { White, Black, Tint, Shade }; // Tint/Shade: the palette's light/dark colour, paled/deepened
inline constexpr int kBackgroundKinds = 4;
const char* backgroundKindName(BackgroundKind kind);

struct StyleSpec {
    int palette = 0; // index into the world's palettes
    int texture = 0; // index into textureSettings()
    BackgroundKind background = BackgroundKind::White;
    bool operator==(const StyleSpec& o) const {
        return palette == o.palette && texture == o.texture && background == o.background;
    }
    bool operator!=(const StyleSpec& o) const { return !(*this == o); }
};
std::string describeStyle(const StyleSpec& style);

// Dominant colours of each image (k-means, k = 3, deterministic farthest-point start) over its pixels that
// are not the white the folder loader composites transparency on. Palettes whose two main colours are
// too close to show a texture, and near-duplicates of an earlier palette, are dropped: the result keeps
// the images' order and records where each palette came from. `images` is an RGB image Dataset in [-1, 1].
std::vector<Palette> extractPalettes(const Dataset& images);

// Renders one garment (a 28x28 Fashion-MNIST item, values in [-1, 1], CV_32FC1) centred on a 32x32 canvas:
// inside the silhouette the texture mixes the palette's two main colours and the garment's own intensity
// shades them; outside, the background. `seed` moves the texture's phase and the noise. Returns CV_8UC3 RGB.
cv::Mat renderStyled(const cv::Mat& garment28, const Palette& palette, const StyleSpec& style, uint64_t seed);
// The silhouette of a garment on the 32x32 canvas (CV_8UC1, 255 inside), as renderStyled places it.
cv::Mat garmentSilhouette(const cv::Mat& garment28);

// ---- style words: what a caption may say about a render's style ----------------------------------
// DEADiff's frozen base is a text-to-image model whose text already names styles (Stable Diffusion's
// captions say "watercolour", "neon"); the image tokens steer it through the directions those words
// opened in its cross-attention. The miniature's base learns them from captions of these words.

// The style vocabulary, in order: 7 colour words (the hue of the palette's two texture colours: red,
// yellow, green, cyan, blue, magenta; grey when they are unsaturated), the 5 texture kinds, the 4
// backgrounds.
const std::vector<std::string>& styleWords();
// The three words that describe `style` drawn with `palette`: colour, texture kind, background (indices
// into styleWords()).
std::array<int, 3> styleWordsOf(const StyleSpec& style, const Palette& palette);

// ---- the world and its splits -------------------------------------------------------------------

enum class StyleSplit { Train, HeldOut };

// Garments (one Fashion-MNIST split: train for training, test for held-out garments) and palettes (all
// of them; every 10th emoji's palette is held out, as the emoji colour models hold out every 10th emoji).
// Held-out styles: a held-out palette or a held-out texture setting (every third setting of each kind).
class StyleWorld {
  public:
    StyleWorld(Dataset garments, std::vector<Palette> palettes);
    // Loads the Fashion-MNIST split from `fashionDirectory` and the emoji folder; the loaders' errors
    // (cm::Error(Data) naming the missing file or folder) pass through.
    static StyleWorld load(const std::string& fashionDirectory, Split garments, const std::string& emojiDirectory);

    // One paragraph for a model card's data-set field: the sources, their licences and the counts.
    std::string description() const;

    const Dataset& garments() const { return m_garments; }
    const std::vector<Palette>& palettes() const { return m_palettes; }
    cv::Mat garment(int64_t item) const; // CV_32FC1 28x28 in [-1, 1]
    int garmentClass(int64_t item) const { return int(m_garments.labels.at(std::size_t(item))); }
    const std::vector<int64_t>& itemsOfClass(int garmentClass) const { return m_itemsByClass.at(std::size_t(garmentClass)); }
    cv::Mat render(int64_t item, const StyleSpec& style, uint64_t seed) const;

    static bool isHeldOutPalette(const Palette& palette) { return palette.sourceImage % 10 == 9; }
    static bool isHeldOutTexture(int texture);
    bool isHeldOut(const StyleSpec& style) const;
    const std::vector<int>& palettesOf(StyleSplit split) const { return split == StyleSplit::Train ? m_trainPalettes : m_heldOutPalettes; }

    // A style of the split, uniformly over its palettes, texture settings and backgrounds. A held-out style
    // has a held-out palette or a held-out texture setting (or both).
    StyleSpec drawStyle(StyleSplit split, std::mt19937_64& rng) const;

    // A smaller world inside this one (the end-to-end tests' two styles and two garments): from now on
    // drawStyle picks uniformly from `styles` (either split) and the draws below use only `classes`.
    // Throws Error(InvalidArgument) for fewer than two classes or styles, a class outside 0..9, a palette
    // index outside the world, or no two styles that differ in palette, texture kind and background
    // (a same-content pair needs them).
    void restrict(std::vector<int> classes, std::vector<StyleSpec> styles);
    bool isRestricted() const { return !m_classes.empty(); }
    // A garment of the drawn classes, uniformly over items (all of them in an unrestricted world).
    int64_t drawItem(std::mt19937_64& rng) const;
    // `count` renders of drawn garments in drawn styles of `split` as an RGB Dataset in [-1, 1], labelled by
    // garment class (the feature network of the style model trains on it).
    Dataset renderDataset(int64_t count, StyleSplit split, uint64_t seed) const;
    // A drawn class other than `garmentClass`, uniformly.
    int drawOtherClass(int garmentClass, std::mt19937_64& rng) const;

  private:
    Dataset m_garments;
    std::vector<Palette> m_palettes;
    std::vector<std::vector<int64_t>> m_itemsByClass;
    std::vector<int> m_trainPalettes, m_heldOutPalettes;
    std::vector<int> m_classes;        // restricted: the classes drawn
    std::vector<StyleSpec> m_stylePool; // restricted: the styles drawn
};

// ---- the pair generator -------------------------------------------------------------------------

enum class PairRelation { SameStyle, SameContent, Identical };
const char* pairRelationName(PairRelation relation);

struct StyledPair {
    cv::Mat reference, target; // CV_8UC3 RGB, 32x32
    std::string prompt;        // the target's content (its garment class's canonical prompt)
    PairRelation relation = PairRelation::Identical;
    StyleSpec referenceStyle, targetStyle;
    int64_t referenceItem = 0, targetItem = 0;
    int referenceClass = 0, targetClass = 0;
};

// Draws (reference, target, prompt, relation) with the three relations at 1:1:1 (each run of three draws
// holds each relation once, in a seeded random order), styles from one split.
// SameStyle: one style, garments of two different classes. SameContent: two garments of one class (two
// different items), styles that differ in palette, texture kind and background. Identical: one render twice.
class PairSampler {
  public:
    PairSampler(const StyleWorld& world, StyleSplit styles, uint64_t seed);
    StyledPair next();

  private:
    const StyleWorld& m_world;
    StyleSplit m_split;
    std::mt19937_64 m_rng;
    std::array<PairRelation, 3> m_cycle{PairRelation::SameStyle, PairRelation::SameContent, PairRelation::Identical};
    int m_cyclePosition = 0;
};

} // namespace cm
