#pragma once
// Logs a finished training run in MLflow's own formats (issue 12 §5), so `mlflow ui` and MLflow
// servers show ethovid's runs beside Python ones, with no MLflow code in ethovid.
//
// Where it goes, from MLFLOW_TRACKING_URI as MLflow reads it:
// - http://... or https://...: MLflow's REST API (2.0): experiments/get-by-name, experiments/
//   create when the experiment is new, runs/create, runs/log-batch (params, metrics, tags; in
//   batches within MLflow's limits of 100 params, 100 tags, 1000 entries), and runs/update to
//   FINISHED. Artifacts are PUT to /api/2.0/mlflow-artifacts/artifacts/<path> when the run's
//   artifact_uri is `mlflow-artifacts:` (a server that proxies artifacts, the default of
//   `mlflow server` since 2.0); other artifact stores (s3://, a server-side path) are not
//   reachable from here and are reported in `notes`, not uploaded. MLFLOW_TRACKING_TOKEN
//   (bearer) or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (basic) authenticate, as
//   with MLflow's client; MLFLOW_TRACKING_INSECURE_TLS=true skips certificate checks.
// - unset, empty, `file:` URI or a plain path: the local file store, default ./mlruns, laid out
//   as MLflow's FileStore (mlflow/store/tracking/file_store.py) writes it:
//     mlruns/0/meta.yaml                        the Default experiment, made with a new store
//     mlruns/.trash/                            (FileStore makes it on open)
//     mlruns/<experiment_id>/meta.yaml          artifact_location, creation_time,
//                                               experiment_id, last_update_time,
//                                               lifecycle_stage: active, name
//     mlruns/<experiment_id>/<run_id>/meta.yaml artifact_uri, end_time, entry_point_name: '',
//                                               experiment_id, lifecycle_stage: active, run_id,
//                                               run_name, run_uuid, source_name: '',
//                                               source_type: 4 (LOCAL), source_version: '',
//                                               start_time, status: 3 (FINISHED), tags: [],
//                                               user_id
//     .../<run_id>/params/<key>                 the value, no newline
//     .../<run_id>/metrics/<key>                "<timestamp_ms> <value> <step>\n" (value as
//                                               Python's repr of a float)
//     .../<run_id>/tags/<key>                   the value, no newline (mlflow.runName,
//                                               mlflow.source.name, mlflow.source.type,
//                                               mlflow.user and the caller's)
//     .../<run_id>/artifacts/                   copies of the artifact files
//   YAML as PyYAML's safe_dump writes it (keys sorted, strings quoted only where YAML would read
//   them as something else); new experiment ids are 18-digit integers, run ids 32 hex digits,
//   as MLflow makes them. The run is assembled in a hidden folder and renamed into place, so a
//   crash never leaves a half run for the UI to list.
//   Readers: MLflow 2.x and 3.x read this store. The 3.x releases before 3.13 at most warn that
//   the file store is deprecated (a FutureWarning, "deprecated as of February 2026" from 3.10);
//   3.13 and later refuse it unless MLFLOW_ALLOW_FILE_STORE=true is set
//   (`MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns`), or after
//   `mlflow migrate-filestore` moves it into a database.
// Metrics that are not finite (e.g. the ROC-AUC of a class absent from the test rows) are left
// out and named in `notes`: MLflow's REST API cannot carry them as JSON numbers.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ethovid/core/error.hpp"

namespace ethovid::focus {

// Tracking failed: a server that refuses or cannot be reached, a store that cannot be written,
// an experiment that exists only as deleted (exit 3). Names the URL or folder and the reply.
class TrackingError : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "TrackingError"; }
  int exit_code() const noexcept override { return 3; }
};

struct MlflowRun {
  std::string experiment_name = "focus";
  std::string run_name;     // empty: "focus-train-<UTC yyyymmdd-hhmmss>"
  std::string user;         // empty: LOGNAME, USER, LNAME, USERNAME, then the passwd entry
  std::string source_name;  // tag mlflow.source.name (MLflow's client puts the script there)
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;  // all at step 0, stamped with end_time
  std::map<std::string, std::string> tags;
  std::vector<std::filesystem::path> artifacts;  // files, copied under their file names
  std::chrono::system_clock::time_point start_time, end_time;
};

struct MlflowResult {
  bool rest = false;     // REST API (else the file store)
  std::string location;  // the server's URL or the store's folder
  std::string experiment_id, run_id, artifact_uri;
  std::filesystem::path run_dir;   // file store only
  std::vector<std::string> notes;  // what was left out and why
};

// Decides by the URI (empty = ./mlruns relative to `cwd`) and logs there.
MlflowResult log_mlflow_run(const MlflowRun& run, const std::string& tracking_uri,
                            const std::filesystem::path& cwd = std::filesystem::current_path());
MlflowResult log_to_file_store(const MlflowRun& run, const std::filesystem::path& root);
// `base_url`: scheme://host[:port][/prefix], e.g. http://127.0.0.1:5000.
MlflowResult log_to_rest(const MlflowRun& run, const std::string& base_url);

// The store folder a file: URI or path names (file:///abs, file:rel, file://localhost/abs).
std::filesystem::path file_store_root(const std::string& tracking_uri,
                                      const std::filesystem::path& cwd);
// Python's repr() of a float (shortest round trip; "1.0", "0.0001", "1e-05", "1e+16"), the
// form MLflow's file store writes metric values in.
std::string python_float_repr(double value);
// One YAML scalar as PyYAML's safe_dump writes a string: plain where YAML reads it back as the
// same string, else single-quoted ('' for empty, '0' for digits).
std::string yaml_string(const std::string& value);

}  // namespace ethovid::focus
