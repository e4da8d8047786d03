#include "style_evaluation.h"

#include "core/detail/feature_network.h"
#include "core/error.h"
#include "core/frechet.h"
#include "core/image_util.h"
#include "core/sampler.h"
#include "core/style/style_model.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>

namespace cm {

namespace {

StyleAttributes attributesOfWords(const std::array<int, 3>& words) {
    return {words[0], words[1] - kStyleColourWords, words[2] - kStyleColourWords - kStyleTextureKinds};
}

int classOfAttributes(const StyleAttributes& a) {
    return (a.colour * kStyleTextureKinds + a.texture) * kBackgroundKinds + a.background;
}

// An output as the [-1, 1] CV_32FC3 the judges read (8-bit images are mapped exactly).
cv::Mat asFloatImage(const cv::Mat& image) {
    if (image.type() == CV_8UC3) return fromDisplay8U(image);
    if (image.type() == CV_32FC3) return image;
    throw Error(ErrorKind::Shape, "a style-world image is 8-bit or float RGB");
}

void checkSize(const cv::Mat& image) {
    if (image.rows != kStyledImageSize || image.cols != kStyledImageSize || image.channels() != 3)
        throw Error(ErrorKind::Shape, "the style measures read " + std::to_string(kStyledImageSize) + "x" +
                                          std::to_string(kStyledImageSize) + " RGB images, got " +
                                          std::to_string(image.cols) + "x" + std::to_string(image.rows) + " with " +
                                          std::to_string(image.channels()) + " channels");
}

// Per-channel mean and standard deviation of the style classifier's convolutional map: [N, 2C].
torch::Tensor styleStatistics(const FeatureNet& styleClassifier, const std::vector<cv::Mat>& images) {
    auto& network = *styleClassifier.impl().network;
    std::shared_ptr<torch::nn::Module> encoder;
    for (const auto& child : network.named_children())
        if (child.key() == "encoder") encoder = child.value();
    auto* trunk = encoder ? dynamic_cast<torch::nn::SequentialImpl*>(encoder.get()) : nullptr;
    if (!trunk) throw Error(ErrorKind::Format, "the style classifier has no convolutional trunk");
    std::vector<cv::Mat> floats;
    for (const auto& image : images)
        floats.push_back(asFloatImage(image));
    torch::NoGradGuard noGrad;
    const auto map = trunk->forward(detail::featureInput(styleClassifier.card(), floats)).flatten(2); // [N, C, HW]
    return torch::cat({map.mean(2), map.std(2, false)}, 1);
}

double statisticsDistance(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).pow(2).mean().sqrt().item<double>();
}

} // namespace

int styleClassOf(const StyleSpec& style, const Palette& palette) {
    return classOfAttributes(attributesOfWords(styleWordsOf(style, palette)));
}

StyleAttributes styleAttributesOf(int styleClass) {
    if (styleClass < 0 || styleClass >= kStyleClasses)
        throw Error(ErrorKind::InvalidArgument, "a style class is in 0.." + std::to_string(kStyleClasses - 1) +
                                                    ", got " + std::to_string(styleClass));
    StyleAttributes a;
    a.background = styleClass % kBackgroundKinds;
    a.texture = (styleClass / kBackgroundKinds) % kStyleTextureKinds;
    a.colour = styleClass / (kBackgroundKinds * kStyleTextureKinds);
    return a;
}

std::vector<std::string> styleClassNames() {
    const auto& words = styleWords();
    std::vector<std::string> names;
    for (int c = 0; c < kStyleClasses; ++c) {
        const auto a = styleAttributesOf(c);
        names.push_back(words.at(std::size_t(a.colour)) + " " +
                        words.at(std::size_t(kStyleColourWords + a.texture)) + " " +
                        words.at(std::size_t(kStyleColourWords + kStyleTextureKinds + a.background)));
    }
    return names;
}

Dataset styleLabelledRenders(const StyleWorld& world, int64_t count, StyleSplit split, uint64_t seed) {
    Dataset data;
    data.itemShape = {3, kStyledImageSize, kStyledImageSize};
    data.classNames = styleClassNames();
    data.description = "renders of the DEADiff style world labelled by style (colour word, texture kind, "
                       "background): " + world.description();
    std::mt19937_64 rng(seed);
    data.values.reserve(std::size_t(count * 3 * kStyledImageSize * kStyledImageSize));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t item = world.drawItem(rng);
        const StyleSpec style = world.drawStyle(split, rng);
        const cv::Mat rgb = world.render(item, style, rng());
        for (int c = 0; c < 3; ++c)
            for (int y = 0; y < rgb.rows; ++y)
                for (int x = 0; x < rgb.cols; ++x)
                    data.values.push_back(float(rgb.at<cv::Vec3b>(y, x)[c]) / 127.5f - 1.0f);
        data.labels.push_back(styleClassOf(style, world.palettes().at(std::size_t(style.palette))));
    }
    return data;
}

FeatureNet trainStyleClassifier(const StyleWorld& train, const StyleWorld& heldOut, const StyleClassifierParams& params,
                                const std::function<void(const FeatureNetTrainStatus&)>& observe,
                                const CancelFlag* cancel) {
    FeatureNetTrainParams p;
    p.kind = FeatureNetKind::Classifier;
    p.width = params.width;
    p.featureDim = params.featureDim;
    p.epochs = params.epochs;
    p.horizontalFlips = false; // a flip changes a texture's angle, not its kind: harmless but not needed
    p.seed = params.seed;
    p.threads = params.threads;
    FeatureNet net = trainFeatureNet(styleLabelledRenders(train, params.renders, StyleSplit::Train, params.seed),
                                     styleLabelledRenders(heldOut, params.heldOutRenders, StyleSplit::HeldOut,
                                                          params.seed + 1),
                                     p, observe, cancel);
    net.card().notes = "The style classifier of issue 19's measures: colour word x texture kind x background of a "
                       "style-world render (140 classes); held-out score: exact-class accuracy on renders of held-out "
                       "styles and garments.";
    return net;
}

cv::Mat garmentPlane(const cv::Mat& styleImage) {
    checkSize(styleImage);
    const cv::Mat f = asFloatImage(styleImage);
    cv::Vec3d border(0, 0, 0);
    int n = 0;
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            if (y < 2 || x < 2 || y >= f.rows - 2 || x >= f.cols - 2) {
                border += cv::Vec3d(f.at<cv::Vec3f>(y, x));
                ++n;
            }
    border /= n;
    cv::Mat distance(f.size(), CV_32F);
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            distance.at<float>(y, x) = float(cv::norm(cv::Vec3d(f.at<cv::Vec3f>(y, x)) - border));
    double top = 0;
    cv::minMaxLoc(distance, nullptr, &top);
    const int margin = (kStyledImageSize - 28) / 2; // renderStyled centres the 28 px garment
    cv::Mat plane = distance(cv::Rect(margin, margin, 28, 28)).clone();
    plane = top > 1e-6 ? plane * (2.0 / top) - 1.0 : cv::Mat(28, 28, CV_32F, cv::Scalar(-1));
    return plane;
}

void checkStyleJudges(const StyleJudges& judges) {
    const auto& s = judges.styleClassifier.card();
    if (s.kind != FeatureNetKind::Classifier || s.classNames.size() != std::size_t(kStyleClasses) ||
        s.itemShape != std::vector<int64_t>{3, kStyledImageSize, kStyledImageSize})
        throw Error(ErrorKind::InvalidArgument, "the style judge must be a style classifier (train-style --stage "
                                                "style-classifier: 32x32 RGB, " + std::to_string(kStyleClasses) +
                                                    " style classes)");
    const auto& g = judges.garmentClassifier.card();
    if (g.kind != FeatureNetKind::Classifier || g.classNames.size() != garmentPrompts().size() ||
        g.itemShape != std::vector<int64_t>{1, 28, 28})
        throw Error(ErrorKind::InvalidArgument, "the garment judge must be a Fashion-MNIST classifier (28x28 grey, "
                                                "10 classes), such as the bundled fashion-mnist-classifier");
}

std::vector<StyleCase> styleCases(const StyleWorld& world, StyleSplit split, int count, uint64_t seed) {
    if (count < 2) throw Error(ErrorKind::InvalidArgument, "a style evaluation needs at least 2 cases");
    std::mt19937_64 rng(seed);
    std::vector<StyleCase> cases;
    for (int i = 0; i < count; ++i) {
        StyleCase c;
        const int64_t referenceItem = world.drawItem(rng);
        c.referenceClass = world.garmentClass(referenceItem);
        c.promptClass = world.drawOtherClass(c.referenceClass, rng);
        const auto& items = world.itemsOfClass(c.promptClass);
        const int64_t idealItem = items.at(std::size_t(rng() % items.size()));
        c.style = world.drawStyle(split, rng);
        c.styleClass = styleClassOf(c.style, world.palettes().at(std::size_t(c.style.palette)));
        c.reference = world.render(referenceItem, c.style, rng());
        c.ideal = world.render(idealItem, c.style, rng());
        cases.push_back(std::move(c));
    }
    return cases;
}

double styleStatisticsDistance(const FeatureNet& styleClassifier, const cv::Mat& a, const cv::Mat& b) {
    checkSize(a);
    checkSize(b);
    const auto s = styleStatistics(styleClassifier, {a, b});
    return statisticsDistance(s[0], s[1]);
}

StyleScores scoreStyleOutputs(const std::vector<StyleCase>& cases, const std::vector<cv::Mat>& outputs,
                              const StyleJudges& judges) {
    checkStyleJudges(judges);
    if (cases.size() != outputs.size())
        throw Error(ErrorKind::InvalidArgument, "scoring " + std::to_string(outputs.size()) + " outputs against " +
                                                    std::to_string(cases.size()) + " cases");
    if (cases.size() < 2) throw Error(ErrorKind::InvalidArgument, "scoring needs at least 2 cases");
    std::vector<cv::Mat> images, references, ideals, planes;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        checkSize(outputs[i]);
        images.push_back(asFloatImage(outputs[i]));
        references.push_back(cases[i].reference);
        ideals.push_back(asFloatImage(cases[i].ideal)); // FeatureNet::run reads float images in [-1, 1]
        planes.push_back(garmentPlane(outputs[i]));
    }
    const FeatureOutput style = judges.styleClassifier.run(images);
    const FeatureOutput idealFeatures = judges.styleClassifier.run(ideals);
    const FeatureOutput garment = judges.garmentClassifier.run(planes);
    const auto outputStatistics = styleStatistics(judges.styleClassifier, images);
    const auto referenceStatistics = styleStatistics(judges.styleClassifier, references);
    StyleScores s;
    s.images = long(cases.size());
    const double n = double(cases.size());
    // The classifier's exact palette is not a class; the reference's true attributes are the target.
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto predicted = styleAttributesOf(int(style.prediction[i]));
        const auto truth = styleAttributesOf(cases[i].styleClass);
        const bool colour = predicted.colour == truth.colour, texture = predicted.texture == truth.texture,
                   background = predicted.background == truth.background;
        s.colourMatch += colour / n;
        s.textureMatch += texture / n;
        s.backgroundMatch += background / n;
        s.styleMatch += (colour && texture && background) / n;
        s.promptAlignment += (garment.prediction[i] == cases[i].promptClass) / n;
        s.leakage += (garment.prediction[i] == cases[i].referenceClass) / n;
        s.statisticsDistance += statisticsDistance(outputStatistics[int64_t(i)], referenceStatistics[int64_t(i)]) / n;
    }
    const int dim = judges.styleClassifier.card().featureDim;
    s.fd = frechetDistance(featureStatistics(style.features, style.count, dim, "the outputs' style features"),
                           featureStatistics(idealFeatures.features, idealFeatures.count, dim, "the ideals' features"));
    return s;
}

StyleEvaluation evaluateStyleModel(const Model& styleModel, const StyleWorld& world, const StyleJudges& judges,
                                   const StyleEvaluationParams& params, const ProgressFn& progress,
                                   const CancelFlag* cancel) {
    if (!styleModel.card().network.needsReference())
        throw Error(ErrorKind::InvalidArgument, "eval-style needs a style model (train-style --stage extractors), got "
                                                "a " + std::string(networkTypeName(styleModel.card().network.type)) +
                                                    (styleModel.card().network.takesPrompt() ? " base" : " model"));
    checkStyleJudges(judges);
    StyleEvaluation result;
    result.cases = styleCases(world, params.split, params.count, params.seed);
    SampleParams sampling;
    sampling.count = params.count;
    sampling.seed = params.seed;
    sampling.sampler = SamplerKind::Auto;
    sampling.edmPoints = params.edmPoints;
    for (const auto& c : result.cases) {
        sampling.conditioning.promptTokens.push_back(promptTokens(garmentPrompts().at(std::size_t(c.promptClass))));
        sampling.conditioning.referenceImages.push_back(c.reference);
    }
    sampling.conditioning.referenceUse = Conditioning::ReferenceUse::StyleOnly;
    const auto start = std::chrono::steady_clock::now();
    const SampleResult samples = sample(styleModel, sampling, progress, cancel);
    result.secondsPerImage =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / params.count;
    result.nfe = samples.nfe;
    result.outputs = samples.images;
    result.scores = scoreStyleOutputs(result.cases, result.outputs, judges);
    std::vector<cv::Mat> ideals, references;
    for (const auto& c : result.cases) {
        ideals.push_back(c.ideal);
        references.push_back(c.reference);
    }
    result.idealScores = scoreStyleOutputs(result.cases, ideals, judges);
    result.referenceScores = scoreStyleOutputs(result.cases, references, judges);
    return result;
}

} // namespace cm
