// `ethovid faces track|embed|cluster|gallery|eval`.
#include <iomanip>
#include <iostream>

#include "ethovid/cli/commands.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/faces/cluster.hpp"
#include "ethovid/faces/embed.hpp"
#include "ethovid/faces/gallery.hpp"
#include "ethovid/faces/track.hpp"
#include "ethovid/vision/identification_eval.hpp"

namespace ethovid::cli {


void add_faces_commands(CLI::App& app, Runner& run) {
  auto* group = app.add_subcommand("faces", "Faces in episode video and photo sets: detect, align, "
                                            "embed, identify");
  group->require_subcommand(1);

  auto track = std::make_shared<faces::TrackOptions>();
  auto* t = group->add_subcommand("track", "Detect faces on every N-th frame and link them into "
                                           "tracks (tracks.jsonl, faces_track_summary.json)");
  t->add_option("VIDEO", track->video, "Video file, or image sequence as a printf pattern")
      ->required()
      ->type_name("FILE|PATTERN");
  t->add_option("-o,--output", track->output_dir, "Output folder")->required()->type_name("DIR");
  t->add_option("--stride", track->stride, "Detect on every N-th frame")->capture_default_str();
  t->add_option("--high-score", track->tracker.high_score,
                "Detections at or above this start and continue tracks")->capture_default_str();
  t->add_option("--low-score", track->tracker.low_score,
                "Weaker detections only continue tracks (ByteTrack's second stage)")->capture_default_str();
  t->add_option("--max-missed", track->tracker.max_missed_updates,
                "Processed frames a track may go without a detection before it ends")->capture_default_str();
  t->add_option("--min-hits", track->tracker.min_hits,
                "Detections a track needs to be reported")->capture_default_str();
  t->add_option("--models", track->model_config, "Model config YAML (default: the bundled models)")->type_name("FILE");
  t->add_flag("--force", track->force, "Recompute even when the outputs are up to date");
  t->callback([&run, track] {
    run = [track] {
      const auto result = faces::track_faces(*track);
      if (result.skipped) {
        std::cout << "up to date: " << result.tracks_path.string() << " (use --force to recompute)\n";
        return 0;
      }
      std::cout << "tracks:  " << result.tracks_path.string() << " (" << result.tracks << " tracks, "
                << result.detections << " detections)\n"
                << "summary: " << result.summary_path.string() << "\n";
      return 0;
    };
  });

  auto embed = std::make_shared<faces::EmbedOptions>();
  auto embed_config = std::make_shared<std::string>();
  auto* m = group->add_subcommand(
      "embed", "Gate, sample, align and embed the faces of tracks.jsonl (faces.jsonl, faces.npy, "
               "faces.parquet, crops_debug.jsonl, faces_summary.json)");
  m->add_option("VIDEO", embed->video, "The video the tracks were made from")
      ->required()
      ->type_name("FILE|PATTERN");
  m->add_option("--tracks", embed->tracks_file, "tracks.jsonl from `faces track`")->required()->type_name("FILE");
  m->add_option("-o,--output", embed->output_dir, "Output folder")->required()->type_name("DIR");
  m->add_option("--config", *embed_config, "YAML config (keys in docs/faces.md); flags override it")
      ->type_name("FILE");
  auto& h = embed->config.harvest;
  auto* save = m->add_flag("--save-crops", embed->config.save_crops,
                           "Save the kept crops as crops/{track_id}/frame_{frame_idx:06d}.jpg");
  auto* min_quality = m->add_option("--min-quality", h.min_quality, "Lowest quality score kept");
  auto* per_track = m->add_option("--max-crops-per-track", h.max_crops_per_track, "Crops kept per track");
  auto* per_episode = m->add_option("--max-crops-per-episode", h.max_crops_per_episode, "Crops kept in all");
  auto* sampling = m->add_option("--sampling", "uniform, quality-weighted or stratified")->type_name("MODE");
  m->add_option("--models", embed->model_config, "Model config YAML (default: the bundled models)")->type_name("FILE");
  m->add_flag("--force", embed->force, "Recompute even when the outputs are up to date, and embed tracks whose summary names another video");
  m->callback([&run, embed, embed_config, save, min_quality, per_track, per_episode, sampling] {
    const std::string sampling_text = sampling->count() ? sampling->as<std::string>() : "";
    const bool save_given = save->count() > 0, quality_given = min_quality->count() > 0;
    const bool track_given = per_track->count() > 0, episode_given = per_episode->count() > 0;
    run = [embed, embed_config, sampling_text, save_given, quality_given, track_given, episode_given] {
      // The config file is the base; flags given on the command line override its values.
      if (!embed_config->empty()) {
        const faces::EmbedConfig flags = embed->config;
        embed->config = faces::load_embed_config(*embed_config);
        auto& h = embed->config.harvest;
        if (save_given) embed->config.save_crops = flags.save_crops;
        if (quality_given) h.min_quality = flags.harvest.min_quality;
        if (track_given) h.max_crops_per_track = flags.harvest.max_crops_per_track;
        if (episode_given) h.max_crops_per_episode = flags.harvest.max_crops_per_episode;
      }
      if (!sampling_text.empty()) embed->config.harvest.sampling = faces::parse_sampling(sampling_text);
      const auto result = faces::embed_faces(*embed);
      if (result.skipped) {
        std::cout << "up to date: " << result.faces_path.string() << " (use --force to recompute)\n";
        return 0;
      }
      std::cout << "faces:   " << result.faces_path.string() << " (" << result.faces << " of "
                << result.candidates << " candidates kept)\n"
                << "summary: " << result.summary_path.string() << "\n";
      return 0;
    };
  });

  auto chain = std::make_shared<faces::TrackOptions>();
  auto chain_gallery = std::make_shared<std::string>();
  auto chain_exclude = std::make_shared<std::vector<std::string>>();
  auto chain_config = std::make_shared<std::string>();
  auto* r = group->add_subcommand("run", "The whole chain into one folder: track, embed, cluster "
                                         "(each step skipped when its outputs are up to date)");
  r->add_option("VIDEO", chain->video, "Video file, or image sequence as a printf pattern")
      ->required()
      ->type_name("FILE|PATTERN");
  r->add_option("-o,--output", chain->output_dir, "Output folder")->required()->type_name("DIR");
  r->add_option("--stride", chain->stride, "Detect on every N-th frame")->capture_default_str();
  r->add_option("--config", *chain_config, "YAML config of the embed step (docs/faces.md)")->type_name("FILE");
  r->add_option("--gallery", *chain_gallery, "Folder of known people: one folder of photos per person")
      ->type_name("DIR");
  r->add_option("--exclude", *chain_exclude, "Gallery folder that is no person, left out (repeatable)")
      ->type_name("NAME");
  r->add_option("--models", chain->model_config, "Model config YAML (default: the bundled models)")->type_name("FILE");
  r->add_flag("--force", chain->force, "Recompute every step");
  r->callback([&run, chain, chain_gallery, chain_exclude, chain_config] {
    run = [chain, chain_gallery, chain_exclude, chain_config] {
      const auto tracked = faces::track_faces(*chain);
      std::cout << (tracked.skipped ? "track:   up to date, " : "track:   ") << tracked.tracks
                << " tracks\n";
      faces::EmbedOptions embed;
      embed.video = chain->video;
      embed.tracks_file = tracked.tracks_path;
      embed.output_dir = chain->output_dir;
      embed.model_config = chain->model_config;
      embed.force = chain->force;  // a new tracks.jsonl changes its sha256: embed then reruns itself
      if (!chain_config->empty()) embed.config = faces::load_embed_config(*chain_config);
      const auto embedded = faces::embed_faces(embed);
      std::cout << (embedded.skipped ? "embed:   up to date, " : "embed:   ") << embedded.faces
                << " of " << embedded.candidates << " candidates kept\n";
      faces::ClusterOptions cluster;
      cluster.dir = chain->output_dir;
      cluster.model_config = chain->model_config;
      if (!chain_gallery->empty()) cluster.gallery_dir = *chain_gallery;
      cluster.gallery_exclude = *chain_exclude;
      cluster.force = chain->force;
      const auto grouped = faces::cluster_faces(cluster);
      std::cout << (grouped.skipped ? "cluster: up to date, " : "cluster: ") << grouped.identities << " identities -> "
                << grouped.identities_path.string() << "\n";
      return 0;
    };
  });

  auto cluster = std::make_shared<faces::ClusterOptions>();
  auto cluster_gallery = std::make_shared<std::string>();
  auto* c = group->add_subcommand("cluster", "Group the tracks of a `faces embed` folder into "
                                             "identities (identities.json), named from a gallery");
  c->add_option("DIR", cluster->dir, "Output folder of `faces embed` (faces.parquet, tracks.jsonl)")
      ->required()
      ->type_name("DIR");
  c->add_option("--gallery", *cluster_gallery, "Folder of known people: one folder of photos per person")
      ->type_name("DIR");
  c->add_option("--exclude", cluster->gallery_exclude,
                "Gallery folder that is no person, left out (repeatable); group_photos, groups, "
                "unlabeled, unlabelled and unknown always are")
      ->type_name("NAME");
  c->add_option("--threshold", cluster->min_similarity,
                "Average cosine similarity at which tracks merge")->capture_default_str();
  c->add_option("--gallery-threshold", cluster->gallery_min_similarity,
                "Lowest similarity to a known person; below it the identity is 'unknown'")->capture_default_str();
  c->add_option("--models", cluster->model_config, "Model config YAML for the gallery photos")->type_name("FILE");
  c->add_flag("--force", cluster->force, "Cluster again even when identities.json is up to date");
  c->callback([&run, cluster, cluster_gallery] {
    if (!cluster_gallery->empty()) cluster->gallery_dir = *cluster_gallery;
    run = [cluster] {
      const auto result = faces::cluster_faces(*cluster);
      if (result.skipped) {
        std::cout << "up to date: " << result.identities_path.string() << " (use --force to recompute)\n";
        return 0;
      }
      std::cout << "identities: " << result.identities_path.string() << " (" << result.identities
                << " identities from " << result.tracks << " tracks)\n";
      for (const auto& identity : result.summary["identities"]) {
        std::cout << "  " << identity["identity_id"] << ": " << identity["tracks"].size() << " tracks, "
                  << identity["frames"] << " frames"
                  << (identity["name"].is_null() ? "" : ", " + identity["name"].get<std::string>()) << "\n";
      }
      return 0;
    };
  });

  auto gallery = std::make_shared<faces::GalleryOptions>();
  auto* g = group->add_subcommand(
      "gallery", "Embed every image of a photo set: one folder per identity (DIR/<name>/*.jpg), or "
                 "a flat folder whose file names start with the identity (subject01.glasses.gif)");
  g->add_option("DIR", gallery->images_dir, "Folder of identity-labelled images")->required()->type_name("DIR");
  g->add_option("-o,--output", gallery->output_dir, "Output folder (gallery.parquet, "
                                                     "gallery_summary.json)")
      ->required()
      ->type_name("DIR");
  g->add_flag("--assume-cropped", gallery->assume_cropped,
              "Images are face crops: take the whole image as the face box instead of detecting");
  g->add_option("--exclude", gallery->exclude, "Folder name to leave out (repeatable), e.g. "
                                                "unlabelled group photos")
      ->type_name("NAME");
  g->add_option("--models", gallery->model_config, "Model config YAML (default: the bundled models)")->type_name("FILE");
  g->add_flag("--force", gallery->force, "Embed again even when the outputs are up to date");
  g->callback([&run, gallery] {
    run = [gallery] {
      const auto result = faces::build_gallery(*gallery);
      if (result.skipped) std::cout << "up to date: " << result.table_path.string() << " (use --force to recompute)\n";
      std::cout << "table:   " << result.table_path.string() << " (" << result.embedded << " of "
                << result.images << " images embedded, " << result.summary["identities"]
                << " identities)\n"
                << "summary: " << result.summary_path.string() << "\n";
      if (!result.without_face.empty()) {
        std::cout << "no face found in " << result.without_face.size() << " images (listed in the "
                  << "summary)\n";
      }
      return 0;
    };
  });

  auto table = std::make_shared<std::string>();
  auto enroll = std::make_shared<int>(5);
  auto json_out = std::make_shared<std::string>();
  auto* e = group->add_subcommand(
      "eval", "Rank-1 / Top-5 identification on a gallery table: per identity the first ENROLL "
              "images (by name) form its centroid, the rest are queries");
  e->add_option("TABLE", *table, "gallery.parquet from `faces gallery`")->required()->type_name("FILE");
  e->add_option("--enroll", *enroll, "Images per identity used for its centroid")->capture_default_str();
  e->add_option("--json", *json_out, "Also write the result as JSON to this file")->type_name("FILE");
  e->callback([&run, table, enroll, json_out] {
    run = [table, enroll, json_out] {
      const auto result = vision::evaluate_identification(faces::read_gallery_table(*table), *enroll);
      core::Json per_identity = core::Json::object();
      for (const auto& [id, rate] : result.per_identity_rank1) per_identity[id] = rate;
      const core::Json json = {{"table", *table},
                               {"enroll_per_identity", result.enroll_per_identity},
                               {"identities", result.identities},
                               {"queries", result.queries},
                               {"skipped_identities", result.skipped_identities},
                               {"rank1", result.rank1},
                               {"top5", result.top5},
                               {"per_identity_rank1", per_identity}};
      if (!json_out->empty()) core::write_json(*json_out, json);
      std::cout << std::fixed << std::setprecision(4) << "rank1 " << result.rank1 << "  top5 "
                << result.top5 << "  (" << result.queries << " queries, " << result.identities
                << " identities, " << result.enroll_per_identity << " enrolled each)\n";
      return 0;
    };
  });
}

}  // namespace ethovid::cli
