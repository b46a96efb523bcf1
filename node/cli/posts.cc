#include "node/cli/posts.h"

#include <google/protobuf/util/json_util.h>
#include <openssl/sha.h>

#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ifed::cli {
namespace {

void Hash(Post* p) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(p->input.text().data()), p->input.text().size(),
         md);
  p->sha256.assign(reinterpret_cast<char*>(md), sizeof md);
  p->sha256_hex = absl::BytesToHexString(p->sha256);
}

bool Blank(const std::string& line) {
  return absl::StripAsciiWhitespace(line).empty();
}

}  // namespace

void ReadPosts(std::istream& in, const std::function<bool(Post&&)>& fn) {
  std::string line;
  uint32_t n = 0, number = 0;
  bool json = false, decided = false;
  Post block;
  auto flush = [&]() -> bool {
    if (block.line == 0) return true;
    Hash(&block);
    block.number = ++number;
    const bool go = fn(std::move(block));
    block = Post{};
    return go;
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!decided && !Blank(line)) {
      decided = true;
      json = absl::StripLeadingAsciiWhitespace(line).front() == '{';
    }
    if (json) {
      if (Blank(line)) continue;
      Post p;
      p.line = n;
      google::protobuf::util::JsonParseOptions o;
      auto s = google::protobuf::util::JsonStringToMessage(line, &p.input, o);
      if (!s.ok()) {
        p.error = absl::StrCat("not a post object (", std::string(s.message().data(), s.message().size()), ")");
        // The parser's message may quote input: keep only its first words.
        if (p.error.size() > 120) p.error = p.error.substr(0, 120) + "...)";
      } else if (p.input.text().empty()) {
        p.error = "field text: missing or empty";
      }
      if (p.error.empty()) Hash(&p);
      p.number = ++number;
      if (!fn(std::move(p))) return;
      continue;
    }
    if (Blank(line)) {
      if (!flush()) return;
      continue;
    }
    if (block.line == 0) {
      block.line = n;
    } else {
      block.input.mutable_text()->push_back('\n');
    }
    block.input.mutable_text()->append(line);
  }
  if (!json) flush();
}

bool MakePostTools(const std::string& lexicon_dir, PostTools* tools) {
  auto n = normalize::Normalizer::Create();
  if (!n.ok()) {
    std::cerr << "ifedctl: " << n.status().message() << "\n";
    return false;
  }
  tools->normalizer = std::move(*n);
  auto e = extract::Extractor::Create(tools->normalizer.get());
  if (!e.ok()) {
    std::cerr << "ifedctl: " << e.status().message() << "\n";
    return false;
  }
  tools->extractor = std::move(*e);
  if (!lexicon_dir.empty()) {
    auto l = extract::Lexicon::LoadDir(lexicon_dir);
    if (!l.ok()) {
      std::cerr << "ifedctl: lexicon: " << l.status().message() << "\n";
      return false;
    }
    tools->lexicon = std::move(*l);
  }
  return true;
}

}  // namespace ifed::cli
