#include "schedule.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cm {

bool isKnownCNoiseConvention(const std::string& convention) {
    return convention == kCNoiseConvention || convention == kAdmCNoiseConvention;
}

double cNoise(double sigma, const std::string& convention) {
    if (convention == kCNoiseConvention) return 0.25 * std::log(sigma);
    if (convention == kAdmCNoiseConvention) return 1000.0 * 0.25 * std::log(sigma + 1e-44);
    throw Error(ErrorKind::InvalidArgument, "unknown c_noise convention (known: \"" +
                                                std::string(kCNoiseConvention) + "\", \"" +
                                                kAdmCNoiseConvention + "\")");
}

Scalings consistencyScalings(double sigma, const NoiseConstants& k, const std::string& cNoiseConvention) {
    const double sd2 = k.sigmaData * k.sigmaData;
    const double shifted = sigma - k.sigmaMin;
    Scalings s;
    s.cSkip = sd2 / (shifted * shifted + sd2);
    s.cOut = k.sigmaData * shifted / std::sqrt(sigma * sigma + sd2);
    s.cIn = 1.0 / std::sqrt(sigma * sigma + sd2);
    s.cNoise = cNoise(sigma, cNoiseConvention);
    return s;
}

Scalings edmScalings(double sigma, const NoiseConstants& k, const std::string& cNoiseConvention) {
    const double sd2 = k.sigmaData * k.sigmaData;
    Scalings s;
    s.cSkip = sd2 / (sigma * sigma + sd2);
    s.cOut = sigma * k.sigmaData / std::sqrt(sigma * sigma + sd2);
    s.cIn = 1.0 / std::sqrt(sigma * sigma + sd2);
    s.cNoise = cNoise(sigma, cNoiseConvention);
    return s;
}

std::vector<double> karrasGrid(int n, const NoiseConstants& k) {
    if (n < 2)
        throw Error(ErrorKind::InvalidArgument,
                    "a Karras grid needs at least 2 points, got " + std::to_string(n));
    const double lo = std::pow(k.sigmaMin, 1.0 / k.rho);
    const double hi = std::pow(k.sigmaMax, 1.0 / k.rho);
    std::vector<double> grid(n);
    for (int i = 0; i < n; ++i)
        grid[i] = std::pow(lo + double(i) / (n - 1) * (hi - lo), k.rho);
    // Pin the endpoints exactly: the boundary condition depends on sigma_min being exact.
    grid.front() = k.sigmaMin;
    grid.back() = k.sigmaMax;
    return grid;
}

std::vector<double> descendingKarrasGrid(int n, const NoiseConstants& k) {
    std::vector<double> grid = karrasGrid(n, k);
    std::reverse(grid.begin(), grid.end());
    return grid;
}

std::vector<double> geometricLevels(double from, double to, int count) {
    if (count < 2 || !(from > 0) || !(to > 0))
        throw Error(ErrorKind::InvalidArgument, "geometric levels need count >= 2 and positive ends");
    std::vector<double> levels;
    for (int i = 0; i < count; ++i)
        levels.push_back(from * std::pow(to / from, double(i) / double(count - 1)));
    return levels;
}

std::vector<double> consistencyPresetLevels(int steps, const NoiseConstants& k) {
    if (steps < 1) throw Error(ErrorKind::InvalidArgument, "a schedule needs at least one step");
    std::vector<double> sigmas{k.sigmaMax};
    if (steps == 2) {
        sigmas.push_back(0.8);
    } else if (steps > 2) {
        for (double sigma : geometricLevels(2.5, 0.3, steps - 1))
            sigmas.push_back(sigma);
    }
    return sigmas;
}

int heunEvaluations(int levels) {
    return 2 * levels - 1;
}

std::vector<double> sigmasFromTs(const std::vector<int>& ts, int steps, const NoiseConstants& k) {
    if (ts.empty()) throw Error(ErrorKind::InvalidArgument, "the ts list is empty");
    const std::vector<double> grid = karrasGrid(steps, k);
    std::vector<double> sigmas;
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (ts[i] < 0 || ts[i] >= steps)
            throw Error(ErrorKind::InvalidArgument, "ts index " + std::to_string(ts[i]) + " is outside [0, " +
                                                        std::to_string(steps - 1) +
                                                        "] for steps=" + std::to_string(steps));
        if (i > 0 && ts[i] <= ts[i - 1])
            throw Error(ErrorKind::InvalidArgument,
                        "ts must increase (each later step at a lower noise level), got " +
                            std::to_string(ts[i - 1]) + " then " + std::to_string(ts[i]));
        sigmas.push_back(grid[steps - 1 - ts[i]]);
    }
    return sigmas;
}

int ctSteps(long step, long totalSteps, double s0, double s1) {
    const double frac = totalSteps > 0 ? double(step) / double(totalSteps) : 0.0;
    const double inner = std::sqrt(frac * ((s1 + 1) * (s1 + 1) - s0 * s0) + s0 * s0) - 1.0;
    return int(std::ceil(inner)) + 1;
}

double ctTargetEma(long step, long totalSteps, double s0, double s1, double mu0) {
    return std::exp(s0 * std::log(mu0) / ctSteps(step, totalSteps, s0, s1));
}

int ictSteps(long step, long totalSteps, double s0, double s1) {
    const long kPrime = std::max(1L, long(std::floor(double(totalSteps) / (std::log2(s1 / s0) + 1.0))));
    const double doubled = s0 * std::pow(2.0, std::floor(double(step) / double(kPrime)));
    return int(std::min(doubled, s1)) + 1;
}

std::vector<double> ictIndexProbabilities(const std::vector<double>& grid, double pMean, double pStd) {
    if (grid.size() < 2) throw Error(ErrorKind::InvalidArgument, "the noise grid needs at least 2 points");
    std::vector<double> p(grid.size() - 1);
    double total = 0;
    for (std::size_t n = 0; n + 1 < grid.size(); ++n) {
        const double a = std::erf((std::log(grid[n + 1]) - pMean) / (std::sqrt(2.0) * pStd));
        const double b = std::erf((std::log(grid[n]) - pMean) / (std::sqrt(2.0) * pStd));
        p[n] = a - b;
        total += p[n];
    }
    for (double& v : p)
        v /= total;
    return p;
}

double ectR(double t, int stage, double q, double k, double b, double sigmaMin) {
    const double sigmoid = 1.0 / (1.0 + std::exp(b * t)); // sigmoid(-b t)
    const double r = t * (1.0 - std::pow(q, -(stage + 1)) * (1.0 + k * sigmoid));
    return std::max(r, sigmaMin);
}

double edmLossWeight(double sigma, double sigmaData) {
    return (sigma * sigma + sigmaData * sigmaData) / (sigma * sigma * sigmaData * sigmaData);
}

} // namespace cm
