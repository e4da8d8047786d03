// The Frechet distance between two Gaussians fitted to feature vectors (the FID formula, on whatever
// feature extractor the caller uses): |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)). Torch-free.
#pragma once

#include <string>
#include <vector>

namespace cm {

struct FeatureStatistics {
    int dimension = 0;
    long count = 0;                 // how many feature vectors were averaged
    std::vector<double> mean;       // dimension
    std::vector<double> covariance; // dimension x dimension, row-major, unbiased (count - 1)
};

// `features` holds count x dimension values, row-major. Needs count >= 2 and finite values
// (cm::Error(Data) / Error(Numeric) otherwise, naming `what`).
FeatureStatistics featureStatistics(const std::vector<float>& features, long count, int dimension,
                                    const std::string& what = "features");

// Throws Error(InvalidArgument) when the dimensions differ.
double frechetDistance(const FeatureStatistics& a, const FeatureStatistics& b);

} // namespace cm
