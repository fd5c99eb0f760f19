#pragma once
// Reading pose files into PoseRecordings, by extension and content:
//   .slp                SLEAP labels (HDF5): skeleton from the metadata JSON, one recording per
//                       video and track (untracked instances by their order in each frame);
//                       a user-labelled instance wins over a predicted one of the same track
//   .h5 / .hdf5         SLEAP analysis export (`tracks`, `node_names`, `point_scores`), or
//                       DeepLabCut's pandas HDF5 ("table" or "fixed" layout)
//   .nwb                NWB with ndx-pose: every PoseEstimation container; series "<ind>_<node>"
//                       are grouped per individual
//   .csv                DeepLabCut's CSV (scorer/[individuals]/bodyparts/coords header rows), as
//                       written by DeepLabCut, lightning-pose and deepof; without a likelihood
//                       column a keypoint's confidence is 1 where it has coordinates
// Multi-animal files give one recording per animal. Bad files are FormatErrors naming the file
// and what disagrees.
#include <filesystem>
#include <vector>

#include "ethovid/moseq/pose_recording.hpp"

namespace ethovid::moseq {

std::vector<PoseRecording> load_pose_file(const std::filesystem::path& path);

std::vector<PoseRecording> load_sleap_labels(const std::filesystem::path& path);
std::vector<PoseRecording> load_sleap_analysis(const std::filesystem::path& path);
std::vector<PoseRecording> load_dlc_hdf5(const std::filesystem::path& path);
std::vector<PoseRecording> load_dlc_csv(const std::filesystem::path& path);
std::vector<PoseRecording> load_nwb_pose(const std::filesystem::path& path);

}  // namespace ethovid::moseq
