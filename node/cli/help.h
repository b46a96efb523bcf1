// The help of ifedctl and ifed-node, in one table: `ifedctl help VERB`,
// `ifedctl VERB --help`, the usage screen, the manual pages ifedctl(1) and
// ifed-node(8) and the bash completion are all rendered from it (docgen.cc
// writes the last three at build time). Pure data and string formatting:
// links nothing but Abseil.
#ifndef IFED_CLI_HELP_H_
#define IFED_CLI_HELP_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/types/span.h"

namespace ifed::cli {

struct VerbHelp {
  absl::string_view verb = {};     // "match"
  absl::string_view alias = {};    // another name for the verb ("" if none)
  absl::string_view summary = {};  // one line for the usage screen
  // Usage lines after "ifedctl ", one form per line; every --option the
  // verb takes appears here (completion reads them from it).
  absl::string_view synopsis = {};
  // Plain text, lines of at most 72 characters, paragraphs separated by a
  // blank line.
  absl::string_view text = {};
  // The sub-commands ("check explain diff reload"), "" if none.
  absl::string_view subcommands = {};
  // Whether the verb runs without a node (always, or with the options named
  // in the text).
  bool offline = false;
  // The exit codes the verb uses (see ExitCodes()).
  absl::string_view exit_codes = "0 1 2 4";
};

struct ExitCode {
  int code;
  absl::string_view name;
  absl::string_view meaning;
};

// Every exit code of ifedctl; each verb uses a subset of these.
absl::Span<const ExitCode> ExitCodes();

absl::Span<const VerbHelp> Verbs();
// By verb or alias; nullptr when unknown.
const VerbHelp* FindVerb(absl::string_view name);

// The --options of a verb, in order of first appearance in its synopsis.
std::vector<std::string> VerbOptions(const VerbHelp& v);
// The synopsis, each form prefixed with "ifedctl ", continuation lines
// indented to match.
std::vector<std::string> SynopsisLines(const VerbHelp& v);
// Options that take no value ("--json"); every other --option takes one.
bool IsNoValueOption(absl::string_view name);
absl::Span<const absl::string_view> NoValueOptions();
// The options every verb takes (--socket, --help).
absl::Span<const absl::string_view> GlobalOptions();

// The usage screen: the verbs with their summaries, the global options,
// the exit codes, and how to get more.
std::string UsageText();
// `ifedctl help VERB`: synopsis, text, exit codes.
std::string VerbHelpText(const VerbHelp& v);
// The exit code table as text (one line per code).
std::string ExitCodeText();

// ifed-node: its synopsis and description, for --help and ifed-node(8).
struct NodeHelp {
  absl::string_view synopsis = {};
  absl::string_view text = {};
  absl::string_view exit_status = {};
  absl::string_view options = {};  // "OPTION\tdescription" lines
};
const NodeHelp& IfedNodeHelp();
std::string IfedNodeUsageText();

}  // namespace ifed::cli

#endif  // IFED_CLI_HELP_H_
