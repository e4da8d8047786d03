// The noise-level mathematics of consistency models and EDM (reference sections 1-3, 5, 7, 8, 8b).
// Pure functions on doubles; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cm {

struct NoiseConstants {
    double sigmaMin = 0.002;
    double sigmaMax = 80.0;
    double sigmaData = 0.5;
    double rho = 7.0;
};

struct Scalings {
    double cSkip, cOut, cIn, cNoise;
};

// The network's time input c_noise(sigma) is model-card data ("c_noise"). CM Studio's own models use
// 0.25 ln(sigma); OpenAI's published checkpoints use 1000 * 0.25 ln(sigma + 1e-44).
inline constexpr const char* kCNoiseConvention = "0.25*ln(sigma)";
inline constexpr const char* kAdmCNoiseConvention = "250*ln(sigma+1e-44)";
bool isKnownCNoiseConvention(const std::string& convention);
double cNoise(double sigma, const std::string& convention = kCNoiseConvention); // InvalidArgument if unknown

// Consistency-model scalings: c_skip(sigma_min) = 1 and c_out(sigma_min) = 0 exactly.
Scalings consistencyScalings(double sigma, const NoiseConstants& k,
                             const std::string& cNoiseConvention = kCNoiseConvention);
// EDM denoiser scalings.
Scalings edmScalings(double sigma, const NoiseConstants& k,
                     const std::string& cNoiseConvention = kCNoiseConvention);

// Karras grid of n >= 2 points, ascending: front() = sigmaMin, back() = sigmaMax.
std::vector<double> karrasGrid(int n, const NoiseConstants& k);

// The same grid descending (front() = sigmaMax): the order samplers visit it.
std::vector<double> descendingKarrasGrid(int n, const NoiseConstants& k);

// `count` >= 2 levels spaced evenly in log sigma from `from` to `to` (both included).
std::vector<double> geometricLevels(double from, double to, int count);

// A consistency model's multistep schedule of `steps` >= 1 levels when none was searched for it: sigma_max,
// then 0.8 for two steps (the level the sigma search on the Fashion-MNIST validation split chose for both
// bundled models, README), or levels spread geometrically from 2.5 down to 0.3 for more, which keeps each
// step a real refinement. The app's schedule presets and stylize --steps share it.
std::vector<double> consistencyPresetLevels(int steps, const NoiseConstants& k);

// Network evaluations per image of EDM's Heun (2n - 1: no second evaluation on the last step, to 0)
// and Euler (n) on n levels.
int heunEvaluations(int levels);

// Sampler convention: index 0 = sigma_max on a descending grid of `steps` points.
// Throws cm::Error(InvalidArgument) for an index outside [0, steps) or a list that does not increase.
std::vector<double> sigmasFromTs(const std::vector<int>& ts, int steps, const NoiseConstants& k);

// Original consistency training (section 7): N(k) and mu(k).
int ctSteps(long step, long totalSteps, double s0, double s1);
double ctTargetEma(long step, long totalSteps, double s0, double s1, double mu0);

// iCT (section 8): N(k) = min(s0 * 2^floor(k / K'), s1) + 1.
int ictSteps(long step, long totalSteps, double s0, double s1);
// Probability of choosing the interval (sigma_n, sigma_{n+1}) for n = 0..N-2 on an ascending grid.
std::vector<double> ictIndexProbabilities(const std::vector<double>& ascendingGrid, double pMean,
                                          double pStd);

// ECT (section 8b): r for a given t and stage; clamped to >= sigmaMin.
double ectR(double t, int stage, double q, double k, double b, double sigmaMin);

// EDM training loss weight lambda(sigma) = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2.
double edmLossWeight(double sigma, double sigmaData);

} // namespace cm
