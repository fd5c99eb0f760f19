#pragma once
// `policy: model`: the trained FocusModel decides each frame (argmax of its probabilities); the
// smoothed state comes from its probabilities through the filter and hysteresis (StateSmoother):
// the away score is P(AWAY), the distraction score P(DISTRACTED) among the present classes.
#include <memory>

#include "ethovid/focus/policy.hpp"

namespace ethovid::focus {

std::unique_ptr<Policy> make_model_policy(const PolicyConfig& config);

}  // namespace ethovid::focus
