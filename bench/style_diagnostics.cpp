// Measurements behind issue 19's "the style does not follow the reference" on the tiny world of
// tests/test_style_model (two styles, two garments). Not a test: prints figures.
//   style_diagnostics prep DIR                 features + base as the test trains them (cached in DIR)
//   style_diagnostics probe DIR                linear probe of style from the frozen reference map
//   style_diagnostics train DIR MODE STEPS     extractor training, instrumented; MODE qformer | oracle
#include "core/dataset.h"
#include "core/detail/denoiser.h"
#include "core/detail/prompt_unet.h"
#include "core/detail/sampling.h"
#include "core/feature_net.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/style/style_model.h"
#include "core/style/style_objective.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "tests/tiny_style_world.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

using namespace cm;

namespace {

using cmtest::firstTexture;
using cmtest::kBag;
using cmtest::kTrouser;
using cmtest::tinyPalettes;

struct Tiny {
    StyleWorld world;
    StyleSpec warm, cool;
    Tiny() : world(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), tinyPalettes()) {
        warm = {0, firstTexture(TextureKind::Stripes), BackgroundKind::White};
        cool = {1, firstTexture(TextureKind::Dots), BackgroundKind::Black};
        world.restrict({kTrouser, kBag}, {warm, cool});
    }
    cv::Mat reference(int garmentClass, const StyleSpec& style, uint64_t seed) const {
        return world.render(world.itemsOfClass(garmentClass)[seed % 50], style, seed);
    }
    int styleIndex(const StyleSpec& s) const { return s == warm ? 0 : 1; }
};

// The style of an image by its border (background) luminance: white (warm) or black (cool).
int styleOf(const cv::Mat& image) {
    cv::Mat f;
    image.convertTo(f, CV_32FC3, image.depth() == CV_8U ? 1 / 127.5 : 1.0, image.depth() == CV_8U ? -1 : 0);
    double sum = 0;
    int n = 0;
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            if (y < 2 || x < 2 || y >= f.rows - 2 || x >= f.cols - 2) {
                const auto v = f.at<cv::Vec3f>(y, x);
                sum += (v[0] + v[1] + v[2]) / 3;
                ++n;
            }
    return sum / n > 0 ? 0 : 1;
}

// Warm (red > blue) or cool garment pixels: the mean of R - B over pixels far from the border colour.
int garmentHueOf(const cv::Mat& image) {
    cv::Mat f;
    image.convertTo(f, CV_32FC3, image.depth() == CV_8U ? 1 / 127.5 : 1.0, image.depth() == CV_8U ? -1 : 0);
    const bool white = styleOf(image) == 0;
    double rb = 0;
    int n = 0;
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x) {
            const auto v = f.at<cv::Vec3f>(y, x);
            const double lum = (v[0] + v[1] + v[2]) / 3;
            if (white ? lum < 0.7 : lum > -0.7) {
                rb += v[0] - v[2];
                ++n;
            }
        }
    return n == 0 ? -1 : (rb > 0 ? 0 : 1);
}

void prep(const std::string& dir, long baseSteps) {
    Tiny t;
    std::filesystem::create_directories(dir);
    FeatureNetTrainParams features;
    features.kind = FeatureNetKind::Autoencoder;
    features.width = 8;
    features.featureDim = 32;
    features.epochs = 2;
    features.batchSize = 64;
    features.horizontalFlips = false;
    features.seed = 3;
    if (!std::filesystem::exists(dir + "/features.safetensors"))
        trainFeatureNet(t.world.renderDataset(1024, StyleSplit::Train, 4), {}, features).save(dir + "/features.safetensors");
    StyleTrainParams base;
    base.stage = StyleStage::Base;
    base.base = styleBaseConfig("tiny");
    base.totalSteps = baseSteps;
    base.batchSize = 16;
    base.learningRate = 2e-3;
    base.emaRate = 0.9;
    base.pMean = -0.6;
    base.seed = 5;
    base.outputPath = dir + "/base.safetensors";
    base.overwrite = true;
    base.logEvery = 10;
    base.checkpointEvery = 1000;
    const auto r = trainStyleModel(base, t.world);
    std::printf("base: %ld steps %.1f s loss %.4f\n", r.steps, r.seconds, r.lastLoggedLoss);
}

void probe(const std::string& dir) {
    Tiny t;
    const auto base = Model::load(dir + "/base.safetensors");
    Model style = createStyleModel(base, FeatureNet::load(dir + "/features.safetensors"), {16, 32, 1}, 5);
    auto& net = dynamic_cast<cm::detail::PromptUNet&>(*style.impl().network);
    // Maps of renders of both styles and both garments; labels: style.
    std::mt19937_64 rng(7);
    std::vector<torch::Tensor> refs;
    std::vector<int64_t> labels;
    for (int i = 0; i < 400; ++i) {
        const StyleSpec s = i % 2 ? t.cool : t.warm;
        const int c = (i / 2) % 2 ? kBag : kTrouser;
        cv::Mat f;
        t.reference(c, s, uint64_t(i) + 1000).convertTo(f, CV_32F, 1 / 127.5, -1);
        refs.push_back(cm::detail::imageToTensor(f));
        labels.push_back(i % 2);
    }
    torch::NoGradGuard g;
    const auto map = net.referenceEncoder()->forward(torch::stack(refs)); // [N, C, 8, 8]
    const auto y = torch::tensor(labels);
    for (const char* kind : {"pooled", "flat", "layernormed-pooled"}) {
        torch::Tensor x;
        if (std::string(kind) == "pooled") x = map.mean({2, 3});
        else if (std::string(kind) == "flat") x = map.flatten(1);
        else x = torch::layer_norm(map.flatten(2).transpose(1, 2), {map.size(1)}).mean(1);
        x = (x - x.mean(0)) / (x.std(0) + 1e-6);
        torch::Tensor w = torch::zeros({x.size(1), 2}, torch::requires_grad());
        torch::Tensor b = torch::zeros({2}, torch::requires_grad());
        torch::AutoGradMode on(true);
        torch::optim::Adam opt({w, b}, 0.05);
        const auto xtr = x.narrow(0, 0, 300), ytr = y.narrow(0, 0, 300);
        for (int s = 0; s < 200; ++s) {
            opt.zero_grad();
            auto l = torch::cross_entropy_loss(xtr.matmul(w) + b, ytr);
            l.backward();
            opt.step();
        }
        const auto pred = (x.narrow(0, 300, 100).matmul(w) + b).argmax(1);
        std::printf("probe %-20s held-out accuracy %.3f  (between-style / within-style distance of means %.2f)\n", kind,
                    pred.eq(y.narrow(0, 300, 100)).to(torch::kFloat).mean().item<double>(),
                    (x.index({y == 0}).mean(0) - x.index({y == 1}).mean(0)).norm().item<double>() /
                        x.index({y == 0}).std(0).norm().item<double>());
    }
    // The base's cross-attention output projections: their numerical rank (they start at zero).
    for (const auto& item : base.impl().network->named_parameters())
        if (item.key().find("proj.weight") != std::string::npos && item.key().rfind("cross", 0) == 0) {
            const auto sv = torch::linalg::svdvals(item.value(), c10::nullopt);
            const double top = sv[0].item<double>();
            std::printf("%s %ldx%ld: singular values", item.key().c_str(), item.value().size(0), item.value().size(1));
            for (int64_t i = 0; i < std::min<int64_t>(8, sv.size(0)); ++i) std::printf(" %.3g", sv[i].item<double>());
            std::printf("  rank(>1%% of top) %ld\n", (sv > 0.01 * top).sum().item<int64_t>());
        }
}

struct Eval {
    double lossCorrect = 0, lossZero = 0, lossSwapped = 0;
};

void evaluateStyle(const Tiny& t, const Model& style, torch::Tensor& styleIds, torch::Tensor& classIds);

void train(const std::string& dir, const std::string& mode, long steps, double lr, double pMean, double pStd) {
    Tiny t;
    torch::manual_seed(11);
    const auto base = Model::load(dir + "/base.safetensors");
    Model style = createStyleModel(base, FeatureNet::load(dir + "/features.safetensors"), {16, 32, 1}, 5);
    if (mode == "trainer") {
        StyleTrainParams p;
        p.stage = StyleStage::Extractors;
        p.basePath = dir + "/base.safetensors";
        p.featureNetPath = dir + "/features.safetensors";
        p.extractors = {16, 32, 1};
        p.totalSteps = steps;
        p.batchSize = 12;
        p.learningRate = lr;
        p.emaRate = std::getenv("EMA") ? std::atof(std::getenv("EMA")) : 0.9;
        p.pMean = pMean;
        p.pStd = pStd;
        p.seed = 5;
        p.outputPath = dir + "/style.safetensors";
        p.overwrite = true;
        p.logEvery = 100;
        p.checkpointEvery = 100000;
        const auto r = trainStyleModel(p, t.world);
        std::printf("trainer: %ld steps %.1f s, last logged loss %.4f\n", r.steps, r.seconds, r.lastLoggedLoss);
        style = Model::load(p.outputPath);
        steps = 0;
    }
    auto& net = dynamic_cast<cm::detail::PromptUNet&>(*style.impl().network);
    const auto& cfg = style.card().network;
    std::vector<torch::Tensor> trainable;
    torch::Tensor styleTable, contentTable; // oracle: learned tokens per (style), per (class)
    std::map<std::string, std::vector<torch::Tensor>> groups;
    for (const auto& item : net.named_parameters()) {
        const auto& k = item.key();
        if (k.find("_image") != std::string::npos) groups["W^I"].push_back(item.value());
        else if (k.rfind("style_qformer", 0) == 0) groups["style qformer"].push_back(item.value());
        else if (k.rfind("content_qformer", 0) == 0) groups["content qformer"].push_back(item.value());
    }
    for (auto& p : net.parameters()) p.set_requires_grad(false);
    if (mode == "oracle") {
        styleTable = (torch::randn({2, cfg.imageQueries, cfg.contextWidth})).requires_grad_(true);
        contentTable = (torch::randn({10, cfg.imageQueries, cfg.contextWidth})).requires_grad_(true);
        groups.erase("style qformer");
        groups.erase("content qformer");
        groups["oracle tokens"] = {styleTable, contentTable};
    }
    // Per-sample labels for the oracle: set before each forward.
    torch::Tensor styleIds, classIds;
    if (mode == "oracle")
        net.tokenOverride = [&](const cm::detail::NetworkConditioning&) {
            return std::make_pair(styleTable.index({styleIds}), contentTable.index({classIds}));
        };
    for (auto& [name, list] : groups)
        for (auto& p : list) {
            p.set_requires_grad(true);
            trainable.push_back(p);
        }
    torch::optim::Adam opt(trainable, torch::optim::AdamOptions(lr));
    StyleTrainParams params;
    params.stage = StyleStage::Extractors;
    params.pMean = pMean;
    params.pStd = pStd;
    const uint64_t runSeed = std::getenv("SEED") ? std::strtoull(std::getenv("SEED"), nullptr, 10) : 3;
    auto gen = at::detail::createCPUGenerator(std::getenv("SEED") ? runSeed : 13);
    const auto param = cm::detail::Parameterisation::of(style.card());
    const int batch = 12;
    // The pairs' labels: redraw with the same seed to know each pair's styles.
    auto labelsOf = [&](uint64_t seed, int64_t count) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        PairSampler pairs(t.world, StyleSplit::Train, rng());
        std::vector<int64_t> s, c;
        for (int64_t j = 0; j < count; ++j) {
            const auto pair = pairs.next();
            unit(rng);
            s.push_back(t.styleIndex(pair.referenceStyle));
            c.push_back(pair.referenceClass);
        }
        return std::make_pair(torch::tensor(s), torch::tensor(c));
    };
    double window = 0;
    std::map<std::string, double> gradWindow;
    std::map<int, double> relLoss;
    std::map<int, int> relCount;
    for (long step = 0; step < steps; ++step) {
        net.train();
        const uint64_t seed = style::stepSeed(runSeed, step);
        const auto b = style::drawStyleBatch(t.world, cfg, params, batch, seed);
        std::tie(styleIds, classIds) = labelsOf(seed, batch);
        training::BatchDraws draws(gen, batch, 0, batch);
        torch::Tensor position;
        const auto per = style::styleLoss(net, param, b, draws, params, position);
        const auto loss = per.mean();
        opt.zero_grad();
        loss.backward();
        for (auto& [name, list] : groups) {
            double sq = 0;
            for (auto& p : list)
                if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
            gradWindow[name] += std::sqrt(sq);
        }
        opt.step();
        window += loss.item<double>();
        for (int j = 0; j < batch; ++j) {
            relLoss[int(b.relations[j])] += per[j].item<double>();
            ++relCount[int(b.relations[j])];
        }
        if ((step + 1) % 100 == 0) {
            std::printf("step %ld loss %.4f (style pairs %.4f, content %.4f, identical %.4f)", step + 1, window / 100,
                        relLoss[0] / relCount[0], relLoss[1] / relCount[1], relLoss[2] / relCount[2]);
            for (auto& [name, g] : gradWindow) std::printf("  |g %s| %.2e", name.c_str(), g / 100);
            std::printf("\n");
            std::fflush(stdout);
            window = 0;
            gradWindow.clear();
            relLoss.clear();
            relCount.clear();
        }
    }
    net.eval();
    if (std::getenv("RELOAD")) {
        style.save(dir + "/reloaded.safetensors");
        evaluateStyle(t, Model::load(dir + "/reloaded.safetensors"), styleIds, classIds);
        return;
    }
    evaluateStyle(t, style, styleIds, classIds);
}

void evaluateStyle(const Tiny& t, const Model& style, torch::Tensor& styleIds, torch::Tensor& classIds) {
    auto& net = dynamic_cast<cm::detail::PromptUNet&>(*style.impl().network);
    const auto param = cm::detail::Parameterisation::of(style.card());
    torch::NoGradGuard g;
    // (1) Attention mass on image tokens per layer, (2) denoiser output change with the reference's style
    // vs with the prompt, (3) same-style loss per noise level with the right tokens, zero tokens, swapped.
    const double sigmas[] = {0.5, 1, 2, 5, 10, 20, 40};
    for (double sigma : sigmas) {
        double styleChange = 0, promptChange = 0, lc = 0, lz = 0, ls = 0;
        std::vector<double> share;
        const int n = 16;
        for (int j = 0; j < n; ++j) {
            const int cls = j % 2 ? kBag : kTrouser, other = j % 2 ? kTrouser : kBag;
            const StyleSpec s = (j / 2) % 2 ? t.cool : t.warm, s2 = (j / 2) % 2 ? t.warm : t.cool;
            cv::Mat target;
            t.reference(cls, s, 500 + j).convertTo(target, CV_32F, 1 / 127.5, -1);
            const auto x0 = cm::detail::imageToTensor(target).unsqueeze(0);
            const auto x = x0 + sigma * torch::randn_like(x0);
            auto cond = [&](const StyleSpec& refStyle, int prompt, float keep) {
                Conditioning c = Conditioning::ofPrompt({prompt});
                c.referenceImages = {t.reference(other, refStyle, 900 + j)};
                c.referenceUse = Conditioning::ReferenceUse::StyleOnly;
                auto tensors = cm::detail::conditioningTensors(style.card(), c, 1);
                tensors.styleKeep = torch::full({1}, keep);
                styleIds = torch::tensor({int64_t(t.styleIndex(refStyle))});
                classIds = torch::tensor({int64_t(other)});
                return tensors;
            };
            const auto sig = cm::detail::sigmaVector(sigma, 1);
            cm::detail::CrossAttentionProbe pr;
            net.setProbe(&pr);
            const auto right = cm::detail::precondition(net, param, x, sig, cond(s, cls, 1));
            net.setProbe(nullptr);
            if (share.empty()) share.assign(pr.imageAttention.size(), 0.0);
            for (std::size_t i = 0; i < share.size(); ++i) share[i] += pr.imageAttention[i] / n;
            const auto swapped = cm::detail::precondition(net, param, x, sig, cond(s2, cls, 1));
            const auto zero = cm::detail::precondition(net, param, x, sig, cond(s, cls, 0));
            const auto otherPrompt = cm::detail::precondition(net, param, x, sig, cond(s, other, 0));
            styleChange += (right - swapped).pow(2).mean().sqrt().item<double>() / n;
            promptChange += (zero - otherPrompt).pow(2).mean().sqrt().item<double>() / n;
            lc += (right - x0).pow(2).mean().item<double>() / n;
            lz += (zero - x0).pow(2).mean().item<double>() / n;
            ls += (swapped - x0).pow(2).mean().item<double>() / n;
        }
        std::printf("sigma %5.1f: same-style MSE right %.4f zero %.4f swapped %.4f | output RMS change: reference "
                    "style %.4f, prompt %.4f | image attention share per layer:",
                    sigma, lc, lz, ls, styleChange, promptChange);
        for (double v : share) std::printf(" %.3f", v);
        std::printf("\n");
    }
    // (4) Sampling: prompt alternates, reference of the other garment, alternating styles.
    for (auto use : {Conditioning::ReferenceUse::StyleOnly, Conditioning::ReferenceUse::StyleAndContent}) {
    int styleHits = 0, hueHits = 0, total = 0;
    for (int j = 0; j < 16; ++j) {
        const int cls = j % 2 ? kBag : kTrouser, other = j % 2 ? kTrouser : kBag;
        const StyleSpec s = (j / 2) % 2 ? t.cool : t.warm;
        SampleParams sp;
        sp.count = 1;
        sp.seed = 100 + uint64_t(j);
        sp.sampler = SamplerKind::Auto;
        sp.conditioning = Conditioning::ofPrompt({cls});
        sp.conditioning.referenceImages = {t.reference(other, s, 900 + j)};
        sp.conditioning.referenceUse = use;
        styleIds = torch::tensor({int64_t(t.styleIndex(s))});
        classIds = torch::tensor({int64_t(other)});
        const auto out = sample(style, sp).images[0];
        styleHits += styleOf(out) == t.styleIndex(s);
        hueHits += garmentHueOf(out) == t.styleIndex(s);
        ++total;
    }
    std::printf("sampled (%s): background follows the reference %d/%d, garment hue %d/%d\n",
                use == Conditioning::ReferenceUse::StyleOnly ? "style only" : "style and content", styleHits, total,
                hueHits, total);
    }
}

} // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (argc < 3 || !(cmd == "prep" || cmd == "probe" || (cmd == "train" && argc >= 5))) {
        std::fprintf(stderr, "usage: style_diagnostics prep DIR [STEPS] | probe DIR | "
                             "train DIR qformer|oracle|trainer STEPS [lr p_mean p_std]\n");
        return 2;
    }
    torch::set_num_threads(1);
    const std::string dir = argv[2];
    if (cmd == "prep") prep(dir, argc > 3 ? std::atol(argv[3]) : 500);
    else if (cmd == "probe") probe(dir);
    else
        train(dir, argv[3], std::atol(argv[4]), argc > 5 ? std::atof(argv[5]) : 2e-3, argc > 6 ? std::atof(argv[6]) : 0.4,
              argc > 7 ? std::atof(argv[7]) : 1.2);
    return 0;
}
