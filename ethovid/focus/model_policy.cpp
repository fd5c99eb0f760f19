#include "ethovid/focus/model_policy.hpp"

#include <cstdio>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/focus_model.hpp"

namespace ethovid::focus {

namespace {

FocusState state_of_class(const std::string& name, const std::filesystem::path& file) {
  if (const auto state = parse_state(name)) return *state;
  throw ConfigError(file.string() + ": class '" + name +
                    "' is not a focus state (FOCUSED, DISTRACTED, AWAY)");
}

class ModelPolicy : public Policy {
 public:
  explicit ModelPolicy(const PolicyConfig& config)
      : config_(config), model_(FocusModel::load(config.model)), smoother_(make_smoother()) {
    for (const std::string& name : model_.features) {
      if (!feature_value(FrameFeatures{}, name)) {
        throw ConfigError(config.model.string() + ": the model needs feature '" + name +
                          "', which frames do not have");
      }
    }
    for (const std::string& name : model_.classes)
      states_.push_back(state_of_class(name, config.model));
    row_.resize(model_.features.size());
  }

  PolicyDecision decide(double t, const FrameFeatures& f) override {
    for (std::size_t i = 0; i < row_.size(); ++i) row_[i] = *feature_value(f, model_.features[i]);
    const std::vector<double> p = model_.predict_proba(row_);
    std::size_t best = 0;
    double away = 0, distracted = 0, focused = 0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      if (p[k] > p[best]) best = k;
      (states_[k] == FocusState::Away         ? away
       : states_[k] == FocusState::Distracted ? distracted
                                              : focused) += p[k];
    }
    PolicyDecision d;
    d.raw = states_[best];
    char reason[64];
    std::snprintf(reason, sizeof reason, "model: %s p=%.2f", model_.classes[best].c_str(), p[best]);
    d.reason = reason;
    const double present = distracted + focused;
    d.smooth = smoother_.update(t, away, present > 0 ? distracted / present : 0.0);
    d.drowsy = drowsiness(f, config_.drowsy).first;
    return d;
  }
  void reset() override { smoother_ = make_smoother(); }

 private:
  StateSmoother make_smoother() const {
    return StateSmoother(config_.smoothing.time_constant_s, config_.smoothing.enter,
                         config_.smoothing.leave);
  }
  PolicyConfig config_;
  FocusModel model_;
  StateSmoother smoother_;
  std::vector<FocusState> states_;
  std::vector<double> row_;
};

}  // namespace

std::unique_ptr<Policy> make_model_policy(const PolicyConfig& config) {
  if (config.model.empty())
    throw ConfigError("policy: model needs a model file (--model or policy.model)");
  return std::make_unique<ModelPolicy>(config);
}

}  // namespace ethovid::focus
