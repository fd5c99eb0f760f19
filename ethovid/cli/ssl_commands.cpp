// `ethovid ssl ...`: the self-supervised face encoder stage (issue 13), built step by step; so far
// `ssl pack`, face images into the training shards (ssl/shard_pack.hpp).
#include <iostream>
#include <memory>

#include "ethovid/cli/commands.hpp"
#include "ethovid/ssl/identity_split.hpp"
#include "ethovid/ssl/shard_pack.hpp"

namespace ethovid::cli {

namespace {

int pack(const ssl::PackOptions& o) {
  const ssl::PackResult r = ssl::pack_shards(o);
  std::cout << "ssl pack: " << r.images << " images of " << r.identities << " identities ("
            << r.pseudo_identities << " pseudo-identities from face tracks) in " << r.shards.size()
            << " shards under " << o.output.string() << "\n";
  if (r.unreadable > 0) {
    std::cout << "ssl pack: " << r.unreadable << " images left out as unreadable, e.g.\n";
    for (const std::string& example : r.unreadable_examples) std::cout << "  " << example << "\n";
  }
  return 0;
}

int split(const ssl::SplitOptions& o) {
  const ssl::SplitResult r = ssl::split_identities(o);
  std::cout << "ssl split: " << r.train_identities << " train and " << r.test_identities
            << " test identities (seed " << o.seed << ") in " << r.splits.string() << "\n";
  if (o.materialize) {
    std::cout << "ssl split: " << r.train_images << " train and " << r.test_images
              << " test images in " << r.parts.size() << " files under " << o.out_dir.string()
              << "/{train,test}/<source>/\n";
  }
  return 0;
}

}  // namespace

void add_ssl_commands(CLI::App& app, Runner& run) {
  auto* group =
      app.add_subcommand("ssl", "Self-supervised face encoders: face image shards (more to come)");
  group->require_subcommand(1);
  auto options = std::make_shared<ssl::PackOptions>();
  auto* p = group->add_subcommand(
      "pack",
      "Face images (a folder per identity, faces embed --save-crops output, or Parquet) into zstd "
      "Parquet "
      "shards: identity_id, image_filename, image_bytes, source, pseudo_identity");
  p->add_option("SOURCE", options->sources, "Image tree, faces output folder, or Parquet file")
      ->required()
      ->type_name("PATH...");
  p->add_option("--output", options->output, "Shard folder")->required()->type_name("DIR");
  p->add_option("--source-name", options->source_name,
                "Name of the source (shard names, the source column)")
      ->required()
      ->type_name("NAME");
  p->add_option("--shard-rows", options->shard_rows, "Images per shard at most")
      ->capture_default_str()
      ->type_name("N");
  p->callback([&run, options] { run = [options] { return pack(*options); }; });

  auto split_options = std::make_shared<ssl::SplitOptions>();
  auto* s = group->add_subcommand(
      "split",
      "Identities into train and test (identity-disjoint, the same for the same "
      "seed): identity_splits.parquet, and the shards' rows by split and source");
  s->add_option("--glob", split_options->globs, "Shard files (repeat for each source)")
      ->required()
      ->type_name("GLOB");
  s->add_option("--out-dir", split_options->out_dir, "Output folder")->required()->type_name("DIR");
  s->add_option("--train-ratio", split_options->train_ratio, "Share of identities in train")
      ->capture_default_str()
      ->type_name("X");
  s->add_option("--seed", split_options->seed, "Seed of the split")
      ->capture_default_str()
      ->type_name("N");
  s->add_option("--materialize", split_options->materialize,
                "Write train/<source>/ and test/<source>/ files")
      ->capture_default_str()
      ->type_name("true|false");
  s->callback([&run, split_options] { run = [split_options] { return split(*split_options); }; });
}

}  // namespace ethovid::cli
