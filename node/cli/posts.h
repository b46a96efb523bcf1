// Posts for `ifedctl extract` and `ifedctl ingest --format posts`.
//
// Input, auto-detected from the first non-blank character:
//  - JSON lines ('{'): one object per line with `text` (required), `url`,
//    `author`, `posted_at`, `region`, `lang` (proto/lexicon.proto
//    PostInput, protobuf JSON mapping: an unknown field is an error);
//  - plain text (anything else): one post per block of lines, blocks
//    separated by one or more blank lines (a post may span lines; its line
//    breaks are kept).
// Each post is extracted locally (node/extract): extraction is pure, needs no
// node state, and the post text never travels to the node; only the
// extracted values (and, for ingest, the provenance) do.
#ifndef IFED_CLI_POSTS_H_
#define IFED_CLI_POSTS_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <string>

#include "node/extract/extractor.h"
#include "node/extract/lexicon.h"
#include "proto/lexicon.pb.h"

namespace ifed::cli {

struct Post {
  uint32_t number = 0;  // 1-based ordinal.
  uint32_t line = 0;    // first line of the post in the input.
  ifed::v1::PostInput input;
  std::string sha256_hex;  // of input.text (its UTF-8 bytes).
  std::string sha256;      // raw 32 bytes.
  std::string error;       // non-empty: the post could not be read (JSON).
};

// Calls `fn` for each post in order until it returns false.
void ReadPosts(std::istream& in, const std::function<bool(Post&&)>& fn);

// The extractor and lexicon of the CLI (one normaliser for the process).
struct PostTools {
  std::unique_ptr<normalize::Normalizer> normalizer;
  std::unique_ptr<extract::Extractor> extractor;
  std::unique_ptr<extract::Lexicon> lexicon;  // null: no --lexicon.
};
// Builds the tools; `lexicon_dir` empty = no tags. Prints the error and
// returns false on failure.
bool MakePostTools(const std::string& lexicon_dir, PostTools* tools);

}  // namespace ifed::cli

#endif  // IFED_CLI_POSTS_H_
