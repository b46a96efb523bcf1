// Lexicon: per-language term lists (policy/lexicon/*.yaml, schema
// proto/lexicon.proto) that tag posts so analysts can sort them. Not a
// classifier: a tag says only that a term or pattern of the list occurred.
//
// Matching: post and terms are NFKC case folded (ICU nfkc_cf); Latin-script
// terms must sit on word boundaries (ICU word break), terms of other
// scripts may sit inside a word (Arabic-script clitics: "وليبيا" hits
// "ليبيا"). Patterns are ICU regular expressions, case-insensitive, over
// the folded text with every decimal digit mapped to ASCII.
#ifndef IFED_EXTRACT_LEXICON_H_
#define IFED_EXTRACT_LEXICON_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/lexicon.pb.h"

namespace ifed::extract {

class Lexicon {
 public:
  // Every *.yaml file of `dir`; a tag is "<file stem>/<list name>". Errors
  // name FILE:LINE (yaml_proto) or the list and pattern that fails.
  static absl::StatusOr<std::unique_ptr<Lexicon>> LoadDir(const std::string& dir);
  // From parsed files: (stem, contents).
  static absl::StatusOr<std::unique_ptr<Lexicon>> Create(
      const std::vector<std::pair<std::string, ifed::v1::LexiconFile>>& files);
  ~Lexicon();

  // Sorted, unique tags of the lists `text` hits. Thread-safe. Bytes that are
  // not UTF-8 read as U+FFFD.
  std::vector<std::string> Tags(std::string_view text) const;
  size_t lists() const;

 private:
  struct Impl;
  explicit Lexicon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ifed::extract

#endif  // IFED_EXTRACT_LEXICON_H_
