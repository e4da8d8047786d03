#include "core/style_world.h"

#include "core/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <utility>

namespace cm {
namespace {

constexpr double kPi = 3.14159265358979323846;

// std::uniform_int_distribution differs between standard libraries; this does not (mt19937_64 is fixed).
int64_t drawBelow(std::mt19937_64& rng, int64_t n) {
    return int64_t(rng() % uint64_t(n));
}

// ---- vocabulary ----

struct PromptWord {
    const char* word;
    int garmentClass;
};
// Canonical prompts first (in label order), then aliases. Plural 's' is stripped before matching.
constexpr PromptWord kVocabulary[] = {
    {"t-shirt", 0}, {"trouser", 1}, {"pullover", 2}, {"dress", 3}, {"coat", 4},
    {"sandal", 5},  {"shirt", 6},   {"sneaker", 7},  {"bag", 8},   {"ankle-boot", 9},
    {"tshirt", 0},  {"tee", 0},     {"top", 0},      {"pants", 1}, {"jeans", 1},
    {"sweater", 2}, {"jumper", 2},  {"gown", 3},     {"jacket", 4}, {"blouse", 6},
    {"trainer", 7}, {"shoe", 7},    {"handbag", 8},  {"purse", 8}, {"boot", 9},
};
constexpr int kGarmentClasses = 10;

std::string lowerTrimmed(const std::string& text) {
    std::string out;
    for (char c : text) out += char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// ---- palettes ----

double luma(const cv::Vec3d& c) {
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}
double distance(const cv::Vec3d& a, const cv::Vec3d& b) {
    return cv::norm(a - b);
}

// Pixels at least this far from white are the emoji's own colours (the loader composites on white).
constexpr double kWhiteDistance = 40.0;
// The two main colours must be this far apart (RGB levels) for stripes, dots and checks to show.
constexpr double kMinTextureContrast = 70.0;
// A palette whose three colours are all within this of an earlier palette's repeats it (skin tones, faces).
constexpr double kDuplicateDistance = 24.0;

// k-means on a few hundred RGB points, k = 3: farthest-point start from the mean, 20 Lloyd rounds.
// Returns centres by cluster size (largest first) and fills `sizes`.
std::vector<cv::Vec3d> dominantColours(const std::vector<cv::Vec3d>& points, std::vector<int>& sizes) {
    cv::Vec3d mean(0, 0, 0);
    for (const cv::Vec3d& p : points) mean += p;
    mean *= 1.0 / double(points.size());
    std::vector<cv::Vec3d> centres;
    cv::Vec3d from = mean;
    for (int k = 0; k < 3; ++k) {
        double best = -1;
        cv::Vec3d pick = points.front();
        for (const cv::Vec3d& p : points) {
            double d = distance(p, from);
            for (const cv::Vec3d& c : centres) d = std::min(d, distance(p, c));
            if (d > best) best = d, pick = p;
        }
        centres.push_back(pick);
        from = pick;
    }
    std::vector<int> assignment(points.size(), 0);
    for (int round = 0; round < 20; ++round) {
        std::vector<cv::Vec3d> sum(3, cv::Vec3d(0, 0, 0));
        std::vector<int> count(3, 0);
        for (std::size_t i = 0; i < points.size(); ++i) {
            int best = 0;
            for (int k = 1; k < 3; ++k)
                if (distance(points[i], centres[k]) < distance(points[i], centres[best])) best = k;
            assignment[i] = best;
            sum[best] += points[i];
            ++count[best];
        }
        for (int k = 0; k < 3; ++k)
            if (count[k] > 0) centres[k] = sum[k] * (1.0 / count[k]);
        sizes = count;
    }
    std::vector<int> order{0, 1, 2};
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sizes[a] > sizes[b]; });
    std::vector<cv::Vec3d> sorted;
    std::vector<int> sortedSizes;
    for (int k : order) sorted.push_back(centres[k]), sortedSizes.push_back(sizes[k]);
    sizes = sortedSizes;
    return sorted;
}

cv::Vec3b toVec3b(const cv::Vec3d& c) {
    return cv::Vec3b(cv::saturate_cast<uchar>(c[0]), cv::saturate_cast<uchar>(c[1]), cv::saturate_cast<uchar>(c[2]));
}
cv::Vec3d toVec3d(const cv::Vec3b& c) {
    return cv::Vec3d(c[0], c[1], c[2]);
}
cv::Vec3d mix(const cv::Vec3d& a, const cv::Vec3d& b, double t) {
    return a * (1.0 - t) + b * t;
}

// The two texture colours: the palette's colours that are farthest apart (the texture must show).
std::pair<cv::Vec3d, cv::Vec3d> textureColours(const Palette& palette) {
    int a = 0, b = 1;
    double best = -1;
    for (int i = 0; i < 3; ++i)
        for (int j = i + 1; j < 3; ++j) {
            const double d = distance(toVec3d(palette.colours[i]), toVec3d(palette.colours[j]));
            if (d > best) best = d, a = i, b = j;
        }
    return {toVec3d(palette.colours[a]), toVec3d(palette.colours[b])};
}

cv::Vec3d backgroundColour(const Palette& palette, BackgroundKind kind) {
    switch (kind) {
    case BackgroundKind::White: return {255, 255, 255};
    case BackgroundKind::Black: return {0, 0, 0};
    case BackgroundKind::Tint: return mix(toVec3d(palette.colours[2]), {255, 255, 255}, 0.75);
    case BackgroundKind::Shade: return mix(toVec3d(palette.colours[0]), {0, 0, 0}, 0.75);
    }
    return {255, 255, 255};
}

// ---- textures ----

uint64_t mixBits(uint64_t x) { // splitmix64's finaliser: a cell's noise value from its coordinates
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
double cellNoise(uint64_t seed, int64_t cx, int64_t cy) {
    return double(mixBits(seed ^ mixBits(uint64_t(cx) * 0x100000001b3ull ^ uint64_t(cy))) >> 11) / double(1ull << 53);
}

// The texture's mixing weight in [0, 1] at pixel (x, y): 0 picks the first texture colour, 1 the second.
double textureWeight(const TextureSetting& t, double x, double y, double phaseU, double phaseV, uint64_t seed) {
    const double a = t.angleDegrees * kPi / 180.0;
    const double u = x * std::cos(a) + y * std::sin(a) + phaseU;
    const double v = -x * std::sin(a) + y * std::cos(a) + phaseV;
    const double s = t.scale;
    switch (t.kind) {
    case TextureKind::Stripes: return std::fmod(std::fmod(u, s) + s, s) < s / 2 ? 0.0 : 1.0;
    case TextureKind::Checks: {
        const int64_t parity = int64_t(std::floor(u / s)) + int64_t(std::floor(v / s));
        return (parity % 2 + 2) % 2 == 0 ? 0.0 : 1.0;
    }
    case TextureKind::Dots: {
        const double du = std::fmod(std::fmod(u, s) + s, s) - s / 2, dv = std::fmod(std::fmod(v, s) + s, s) - s / 2;
        return du * du + dv * dv <= (0.3 * s) * (0.3 * s) ? 1.0 : 0.0;
    }
    case TextureKind::Gradient: { // across the canvas along the angle, from one colour to the other
        const double c = (kStyledImageSize - 1) / 2.0;
        const double along = (x - c) * std::cos(a) + (y - c) * std::sin(a);
        return std::clamp(0.5 + along / (kStyledImageSize * 0.75), 0.0, 1.0);
    }
    case TextureKind::Noise:
        return cellNoise(seed, int64_t(std::floor((x + phaseU) / s)), int64_t(std::floor((y + phaseV) / s)));
    }
    return 0.0;
}

std::vector<TextureSetting> makeTextureSettings() {
    std::vector<TextureSetting> table;
    for (int angle : {0, 45, 90, 135})
        for (int scale : {4, 6, 8}) table.push_back({TextureKind::Stripes, angle, scale});
    for (int angle : {0, 45})
        for (int scale : {4, 6, 8}) table.push_back({TextureKind::Dots, angle, scale});
    for (int angle : {0, 45})
        for (int scale : {4, 6, 8}) table.push_back({TextureKind::Checks, angle, scale});
    for (int angle = 0; angle < 360; angle += 45) table.push_back({TextureKind::Gradient, angle, 1});
    for (int scale : {1, 2, 4}) table.push_back({TextureKind::Noise, 0, scale});
    return table;
}

} // namespace

// ---- vocabulary ----

const std::vector<std::string>& garmentPrompts() {
    static const std::vector<std::string> prompts = [] {
        std::vector<std::string> p;
        for (int i = 0; i < kGarmentClasses; ++i) p.push_back(kVocabulary[i].word);
        return p;
    }();
    return prompts;
}

std::string garmentVocabularyText() {
    std::ostringstream out;
    for (int c = 0; c < kGarmentClasses; ++c) {
        if (c) out << "; ";
        out << kVocabulary[c].word;
        bool first = true;
        for (const PromptWord& w : kVocabulary)
            if (w.garmentClass == c && w.word != kVocabulary[c].word) {
                out << (first ? " (also " : ", ") << w.word;
                first = false;
            }
        if (!first) out << ")";
    }
    return out.str();
}

int parseGarmentPrompt(const std::string& prompt) {
    std::istringstream words(lowerTrimmed(prompt));
    std::string word, phrase;
    while (words >> word) {
        if (word == "a" || word == "an" || word == "the") continue;
        phrase += (phrase.empty() ? "" : "-") + word;
    }
    std::string singular = phrase;
    if (singular.size() > 3 && singular.back() == 's' && singular.compare(singular.size() - 2, 2, "ss") != 0)
        singular.pop_back(); // "trousers", "jeans", "boots"; not "dress"
    for (const PromptWord& w : kVocabulary)
        if (phrase == w.word || singular == w.word) return w.garmentClass;
    throw Error(ErrorKind::InvalidArgument, "unknown garment prompt '" + describeUntrusted(prompt) +
                                                "'; the vocabulary: " + garmentVocabularyText());
}

// ---- style ----

const char* textureKindName(TextureKind kind) {
    switch (kind) {
    case TextureKind::Stripes: return "stripes";
    case TextureKind::Dots: return "dots";
    case TextureKind::Checks: return "checks";
    case TextureKind::Gradient: return "gradient";
    case TextureKind::Noise: return "noise";
    }
    return "?";
}

const char* backgroundKindName(BackgroundKind kind) {
    switch (kind) {
    case BackgroundKind::White: return "white";
    case BackgroundKind::Black: return "black";
    case BackgroundKind::Tint: return "tint";
    case BackgroundKind::Shade: return "shade";
    }
    return "?";
}

const std::vector<TextureSetting>& textureSettings() {
    static const std::vector<TextureSetting> table = makeTextureSettings();
    return table;
}

namespace {
constexpr const char* kColourWords[] = {"red", "yellow", "green", "cyan", "blue", "magenta", "grey"};
constexpr int kColourWordCount = 7, kTextureKinds = 5;
} // namespace

const std::vector<std::string>& styleWords() {
    static const std::vector<std::string> words = [] {
        std::vector<std::string> w(std::begin(kColourWords), std::end(kColourWords));
        for (int k = 0; k < kTextureKinds; ++k) w.push_back(textureKindName(TextureKind(k)));
        for (int b = 0; b < kBackgroundKinds; ++b) w.push_back(backgroundKindName(BackgroundKind(b)));
        return w;
    }();
    return words;
}

std::array<int, 3> styleWordsOf(const StyleSpec& style, const Palette& palette) {
    const auto [a, b] = textureColours(palette);
    const cv::Vec3d mean = (a + b) * 0.5;
    const double high = std::max({mean[0], mean[1], mean[2]}), low = std::min({mean[0], mean[1], mean[2]});
    int colour = kColourWordCount - 1; // grey
    if (high - low >= 40) {
        // The hue's sextant (0 red, 60 yellow, 120 green, ...), rounded to the nearest of the six.
        double hue;
        if (high == mean[0]) hue = 60 * (mean[1] - mean[2]) / (high - low);
        else if (high == mean[1]) hue = 120 + 60 * (mean[2] - mean[0]) / (high - low);
        else hue = 240 + 60 * (mean[0] - mean[1]) / (high - low);
        if (hue < 0) hue += 360;
        colour = int(std::lround(hue / 60)) % 6;
    }
    const int texture = int(textureSettings().at(std::size_t(style.texture)).kind);
    return {colour, kColourWordCount + texture, kColourWordCount + kTextureKinds + int(style.background)};
}

std::string describeStyle(const StyleSpec& style) {
    const TextureSetting& t = textureSettings().at(std::size_t(style.texture));
    std::string texture = textureKindName(t.kind);
    if (t.kind != TextureKind::Noise) texture += " " + std::to_string(t.angleDegrees) + " deg";
    if (t.kind != TextureKind::Gradient) texture += " scale " + std::to_string(t.scale);
    return "palette " + std::to_string(style.palette) + ", " + texture + ", " + backgroundKindName(style.background) +
           " background";
}

std::vector<Palette> extractPalettes(const Dataset& images) {
    if (images.itemShape.size() != 3 || images.itemShape[0] != 3)
        throw Error(ErrorKind::Shape, "palettes need RGB images ({3, H, W}), got a data set of another shape");
    const int64_t plane = images.itemShape[1] * images.itemShape[2];
    std::vector<Palette> palettes;
    std::vector<cv::Vec3d> points;
    for (int64_t item = 0; item < images.count(); ++item) {
        const float* v = images.values.data() + item * images.itemSize();
        points.clear();
        for (int64_t p = 0; p < plane; ++p) {
            const cv::Vec3d c((v[p] + 1.0) * 127.5, (v[plane + p] + 1.0) * 127.5, (v[2 * plane + p] + 1.0) * 127.5);
            if (distance(c, {255, 255, 255}) >= kWhiteDistance) points.push_back(c);
        }
        if (points.size() < 16) continue; // (almost) all white: no colours of its own
        std::vector<int> sizes;
        std::vector<cv::Vec3d> centres = dominantColours(points, sizes);
        Palette palette;
        palette.sourceImage = item;
        for (int k = 0; k < 3; ++k) palette.colours[std::size_t(k)] = toVec3b(centres[std::size_t(k)]);
        std::stable_sort(palette.colours.begin(), palette.colours.end(),
                         [](const cv::Vec3b& a, const cv::Vec3b& b) { return luma(toVec3d(a)) < luma(toVec3d(b)); });
        const auto [first, second] = textureColours(palette);
        if (distance(first, second) < kMinTextureContrast) continue;
        const bool repeats = std::any_of(palettes.begin(), palettes.end(), [&](const Palette& earlier) {
            for (int k = 0; k < 3; ++k)
                if (distance(toVec3d(earlier.colours[k]), toVec3d(palette.colours[k])) > kDuplicateDistance) return false;
            return true;
        });
        if (!repeats) palettes.push_back(palette);
    }
    if (palettes.empty())
        throw Error(ErrorKind::Data, "no usable palette in " + images.description +
                                         " (every image was white, single-coloured or repeated an earlier one)");
    return palettes;
}

cv::Mat garmentSilhouette(const cv::Mat& garment28) {
    if (garment28.type() != CV_32FC1 || garment28.rows != 28 || garment28.cols != 28)
        throw Error(ErrorKind::Shape, "a garment is a 28x28 single-channel float image");
    cv::Mat mask(kStyledImageSize, kStyledImageSize, CV_8UC1, cv::Scalar(0));
    const int offset = (kStyledImageSize - 28) / 2;
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x)
            if ((garment28.at<float>(y, x) + 1.0f) * 0.5f >= kSilhouetteThreshold) mask.at<uchar>(y + offset, x + offset) = 255;
    return mask;
}

cv::Mat renderStyled(const cv::Mat& garment28, const Palette& palette, const StyleSpec& style, uint64_t seed) {
    const std::vector<TextureSetting>& table = textureSettings();
    if (style.texture < 0 || std::size_t(style.texture) >= table.size())
        throw Error(ErrorKind::InvalidArgument, "texture setting " + std::to_string(style.texture) + " is not in 0.." +
                                                    std::to_string(table.size() - 1));
    const cv::Mat mask = garmentSilhouette(garment28);
    const TextureSetting& texture = table[std::size_t(style.texture)];
    const auto [first, second] = textureColours(palette);
    const cv::Vec3d background = backgroundColour(palette, style.background);
    std::mt19937_64 rng(seed);
    const double phaseU = double(rng() % 1024) / 1024.0 * texture.scale * 2;
    const double phaseV = double(rng() % 1024) / 1024.0 * texture.scale * 2;
    const uint64_t noiseSeed = rng();
    const int offset = (kStyledImageSize - 28) / 2;
    cv::Mat out(kStyledImageSize, kStyledImageSize, CV_8UC3);
    for (int y = 0; y < kStyledImageSize; ++y)
        for (int x = 0; x < kStyledImageSize; ++x) {
            cv::Vec3d c = background;
            if (mask.at<uchar>(y, x)) {
                const double intensity = (garment28.at<float>(y - offset, x - offset) + 1.0) * 0.5;
                const double w = textureWeight(texture, x, y, phaseU, phaseV, noiseSeed);
                // Shading: the garment's own intensity darkens the texture (folds, seams, soles stay visible)
                // but never to black, so the texture reads on the darkest parts too.
                c = mix(first, second, w) * (0.45 + 0.55 * std::clamp(intensity, 0.0, 1.0));
            }
            out.at<cv::Vec3b>(y, x) = toVec3b(c);
        }
    return out;
}

// ---- the world ----

StyleWorld::StyleWorld(Dataset garments, std::vector<Palette> palettes)
    : m_garments(std::move(garments)), m_palettes(std::move(palettes)) {
    if (m_garments.itemShape != std::vector<int64_t>{1, 28, 28} || !m_garments.hasLabels() || m_garments.count() == 0)
        throw Error(ErrorKind::Data, "the style world needs labelled 28x28 grey garments (Fashion-MNIST)");
    m_itemsByClass.assign(kGarmentClasses, {});
    for (int64_t i = 0; i < m_garments.count(); ++i) {
        const int64_t label = m_garments.labels[std::size_t(i)];
        if (label < 0 || label >= kGarmentClasses)
            throw Error(ErrorKind::Data, "garment " + std::to_string(i) + " has label " + std::to_string(label));
        m_itemsByClass[std::size_t(label)].push_back(i);
    }
    for (const std::vector<int64_t>& items : m_itemsByClass)
        if (items.size() < 2)
            throw Error(ErrorKind::Data, "the style world needs at least two garments of every class");
    for (std::size_t p = 0; p < m_palettes.size(); ++p)
        (isHeldOutPalette(m_palettes[p]) ? m_heldOutPalettes : m_trainPalettes).push_back(int(p));
    if (m_trainPalettes.empty() || m_heldOutPalettes.empty())
        throw Error(ErrorKind::Data, "the style world needs training and held-out palettes (every 10th emoji is held out), got " +
                                         std::to_string(m_trainPalettes.size()) + " and " + std::to_string(m_heldOutPalettes.size()));
}

StyleWorld StyleWorld::load(const std::string& fashionDirectory, Split garments, const std::string& emojiDirectory) {
    Dataset fashion = loadFashionMnist(fashionDirectory, garments);
    ImageFolderOptions options;
    options.size = kStyledImageSize;
    options.channels = 3;
    return StyleWorld(std::move(fashion), extractPalettes(loadImageFolder(emojiDirectory, options)));
}

std::string StyleWorld::description() const {
    const std::vector<TextureSetting>& table = textureSettings();
    int heldOutTextures = 0;
    for (int t = 0; t < int(table.size()); ++t) heldOutTextures += isHeldOutTexture(t);
    return "DEADiff style world, 32x32 RGB: content = " + m_garments.description +
           " (silhouettes and shading; Zalando SE, MIT licence), named by the prompts " + garmentVocabularyText() +
           "; style = " + std::to_string(m_palettes.size()) + " palettes (3 colours each, k-means) from the Noto Color Emoji (Google, SIL OFL 1.1; " +
           std::to_string(m_heldOutPalettes.size()) + " held out: every 10th emoji) x " + std::to_string(table.size()) +
           " texture settings (stripes, dots, checks, gradients, noise at angles and scales; " +
           std::to_string(heldOutTextures) + " held out) x " + std::to_string(kBackgroundKinds) +
           " backgrounds (white, black, palette tint, palette shade)";
}

cv::Mat StyleWorld::garment(int64_t item) const {
    if (item < 0 || item >= m_garments.count())
        throw Error(ErrorKind::InvalidArgument, "garment " + std::to_string(item) + " is not in 0.." +
                                                    std::to_string(m_garments.count() - 1));
    const float* v = m_garments.values.data() + item * m_garments.itemSize();
    return cv::Mat(28, 28, CV_32FC1, const_cast<float*>(v)).clone();
}

cv::Mat StyleWorld::render(int64_t item, const StyleSpec& style, uint64_t seed) const {
    return renderStyled(garment(item), m_palettes.at(std::size_t(style.palette)), style, seed);
}

bool StyleWorld::isHeldOutTexture(int texture) {
    // Every third setting within each kind: each kind keeps settings on both sides.
    const std::vector<TextureSetting>& table = textureSettings();
    int withinKind = 0;
    for (int i = 0; i < texture; ++i)
        if (table[std::size_t(i)].kind == table[std::size_t(texture)].kind) ++withinKind;
    return withinKind % 3 == 2;
}

bool StyleWorld::isHeldOut(const StyleSpec& style) const {
    return isHeldOutPalette(m_palettes.at(std::size_t(style.palette))) || isHeldOutTexture(style.texture);
}

void StyleWorld::restrict(std::vector<int> classes, std::vector<StyleSpec> styles) {
    if (classes.size() < 2 || styles.size() < 2)
        throw Error(ErrorKind::InvalidArgument, "a restricted style world needs two garment classes and two styles at least");
    for (int c : classes)
        if (c < 0 || c >= kGarmentClasses)
            throw Error(ErrorKind::InvalidArgument, "garment class " + std::to_string(c) + " is not one of 0..9");
    bool differing = false;
    for (const StyleSpec& a : styles) {
        if (a.palette < 0 || std::size_t(a.palette) >= m_palettes.size() || a.texture < 0 ||
            std::size_t(a.texture) >= textureSettings().size())
            throw Error(ErrorKind::InvalidArgument, "style " + describeStyle(a) + " is not in this world (" +
                                                        std::to_string(m_palettes.size()) + " palettes)");
        for (const StyleSpec& b : styles)
            differing = differing || (a.background != b.background &&
                                      textureSettings()[std::size_t(a.texture)].kind != textureSettings()[std::size_t(b.texture)].kind &&
                                      m_palettes[std::size_t(a.palette)].sourceImage != m_palettes[std::size_t(b.palette)].sourceImage);
    }
    if (!differing)
        throw Error(ErrorKind::InvalidArgument, "a restricted style world needs two styles that differ in palette, "
                                                "texture kind and background (same-content pairs draw them)");
    m_classes = std::move(classes);
    m_stylePool = std::move(styles);
}

int64_t StyleWorld::drawItem(std::mt19937_64& rng) const {
    if (m_classes.empty()) return drawBelow(rng, m_garments.count());
    const std::vector<int64_t>& items = itemsOfClass(m_classes[std::size_t(drawBelow(rng, int64_t(m_classes.size())))]);
    return items[std::size_t(drawBelow(rng, int64_t(items.size())))];
}

Dataset StyleWorld::renderDataset(int64_t count, StyleSplit split, uint64_t seed) const {
    Dataset data;
    data.itemShape = {3, kStyledImageSize, kStyledImageSize};
    data.classNames = garmentPrompts();
    data.description = "renders of the DEADiff style world: " + description();
    std::mt19937_64 rng(seed);
    const int64_t plane = int64_t(kStyledImageSize) * kStyledImageSize;
    data.values.reserve(std::size_t(count * 3 * plane));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t item = drawItem(rng);
        const StyleSpec style = drawStyle(split, rng);
        const cv::Mat rgb = render(item, style, rng());
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < rgb.rows; ++y)
                for (int x = 0; x < rgb.cols; ++x)
                    data.values.push_back(float(rgb.at<cv::Vec3b>(y, x)[c]) / 127.5f - 1.0f);
        data.labels.push_back(garmentClass(item));
    }
    return data;
}

int StyleWorld::drawOtherClass(int garmentClass, std::mt19937_64& rng) const {
    if (m_classes.empty()) return int((garmentClass + 1 + drawBelow(rng, kGarmentClasses - 1)) % kGarmentClasses);
    std::vector<int> others;
    for (int c : m_classes)
        if (c != garmentClass) others.push_back(c);
    return others[std::size_t(drawBelow(rng, int64_t(others.size())))];
}

StyleSpec StyleWorld::drawStyle(StyleSplit split, std::mt19937_64& rng) const {
    if (!m_stylePool.empty()) return m_stylePool[std::size_t(drawBelow(rng, int64_t(m_stylePool.size())))];
    const int textures = int(textureSettings().size());
    StyleSpec style;
    style.background = BackgroundKind(drawBelow(rng, kBackgroundKinds));
    if (split == StyleSplit::Train) {
        style.palette = m_trainPalettes[std::size_t(drawBelow(rng, int64_t(m_trainPalettes.size())))];
        do style.texture = int(drawBelow(rng, textures));
        while (isHeldOutTexture(style.texture));
        return style;
    }
    // Held out: any style with a held-out palette or a held-out texture (rejection over the whole space).
    do {
        style.palette = int(drawBelow(rng, int64_t(m_palettes.size())));
        style.texture = int(drawBelow(rng, textures));
    } while (!isHeldOut(style));
    return style;
}

// ---- pairs ----

const char* pairRelationName(PairRelation relation) {
    switch (relation) {
    case PairRelation::SameStyle: return "same-style";
    case PairRelation::SameContent: return "same-content";
    case PairRelation::Identical: return "identical";
    }
    return "?";
}

PairSampler::PairSampler(const StyleWorld& world, StyleSplit styles, uint64_t seed)
    : m_world(world), m_split(styles), m_rng(seed) {}

StyledPair PairSampler::next() {
    StyledPair pair;
    // Each run of three draws holds the three relations once, in a random order: exactly 1:1:1 in every
    // batch that is a multiple of three, and no relation favoured by chance over a short run.
    if (m_cyclePosition == 0)
        for (int i = 2; i > 0; --i) std::swap(m_cycle[std::size_t(i)], m_cycle[std::size_t(drawBelow(m_rng, i + 1))]);
    pair.relation = m_cycle[std::size_t(m_cyclePosition)];
    m_cyclePosition = (m_cyclePosition + 1) % 3;
    pair.referenceItem = m_world.drawItem(m_rng);
    pair.referenceClass = m_world.garmentClass(pair.referenceItem);
    pair.referenceStyle = m_world.drawStyle(m_split, m_rng);
    const uint64_t referenceSeed = m_rng();
    uint64_t targetSeed = m_rng();
    switch (pair.relation) {
    case PairRelation::SameStyle: {
        pair.targetStyle = pair.referenceStyle;
        const int otherClass = m_world.drawOtherClass(pair.referenceClass, m_rng);
        const std::vector<int64_t>& items = m_world.itemsOfClass(otherClass);
        pair.targetItem = items[std::size_t(drawBelow(m_rng, int64_t(items.size())))];
        break;
    }
    case PairRelation::SameContent: {
        const std::vector<int64_t>& items = m_world.itemsOfClass(pair.referenceClass);
        do pair.targetItem = items[std::size_t(drawBelow(m_rng, int64_t(items.size())))];
        while (pair.targetItem == pair.referenceItem);
        const std::vector<Palette>& palettes = m_world.palettes();
        const TextureKind referenceKind = textureSettings()[std::size_t(pair.referenceStyle.texture)].kind;
        do pair.targetStyle = m_world.drawStyle(m_split, m_rng);
        while (pair.targetStyle.background == pair.referenceStyle.background ||
               textureSettings()[std::size_t(pair.targetStyle.texture)].kind == referenceKind ||
               palettes[std::size_t(pair.targetStyle.palette)].sourceImage ==
                   palettes[std::size_t(pair.referenceStyle.palette)].sourceImage);
        break;
    }
    case PairRelation::Identical:
        pair.targetItem = pair.referenceItem;
        pair.targetStyle = pair.referenceStyle;
        targetSeed = referenceSeed;
        break;
    }
    pair.targetClass = m_world.garmentClass(pair.targetItem);
    pair.prompt = garmentPrompts()[std::size_t(pair.targetClass)];
    pair.reference = m_world.render(pair.referenceItem, pair.referenceStyle, referenceSeed);
    pair.target = m_world.render(pair.targetItem, pair.targetStyle, targetSeed);
    return pair;
}

} // namespace cm
