// The node's own configuration: YAML (schema ifed.v1.NodeConfig in
// proto/config.proto) mapped by yaml_proto.h, then checked for meaning.
//
// On success the returned message is complete:
//  - role is MEMBER when absent; log_level is "info" when absent (and is
//    lower-cased); default_retention_days is 365 and peer_timeout_ms 5000
//    when absent (an explicit 0 is an error);
//  - every path (admin_socket, tls.*, data_dir, federation_key_file,
//    local_key_file, policy_dir, log_file) is absolute: relative ones are
//    resolved against the directory of the configuration file, and made
//    lexically normal.
// Nothing here touches the files the configuration names (existence and
// permissions are checked by the daemon when it opens them).
//
// Errors are InvalidArgument, one line per problem (all problems found, not
// only the first), each `FILE:LINE: field 'peers[1].id': reason`, or
// `FILE: field 'node_id': required` when the field is absent. A file that
// cannot be read gives NotFound / PermissionDenied (see LoadYamlFile).
//
// Checks: node_id matches [a-z0-9][a-z0-9-]{0,62}; federation is a lower-case
// DNS-like name (SPIFFE trust domain); jurisdiction is two upper-case letters;
// listen and peers[].address are host:port with port 1..65535 (IPv6 in
// brackets); admin_socket, tls.ca_cert, tls.cert, tls.key, data_dir,
// federation_key_file, local_key_file and policy_dir are required;
// admin_socket is a filesystem path (no "unix:" scheme) of at most 107 bytes
// once absolute; peers[].id is a valid node id, unique, not this node's id;
// log_level is one of trace|debug|info|warn|error.
#ifndef IFED_CONFIG_NODE_CONFIG_H_
#define IFED_CONFIG_NODE_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "proto/config.pb.h"

namespace ifed {

// Reads, maps and validates the configuration file at `path`.
absl::StatusOr<ifed::v1::NodeConfig> LoadNodeConfig(const std::string& path);

// Same, from text already read; `path` names the file in errors and its
// directory resolves relative paths (the file itself is not read).
absl::StatusOr<ifed::v1::NodeConfig> ParseNodeConfig(std::string_view yaml_text,
                                                     const std::string& path);

// Building blocks, exposed for the CLI and other components.
// [a-z0-9][a-z0-9-]{0,62}
bool IsValidNodeId(std::string_view id);
// Lower-case DNS-like name: labels of [a-z0-9-] (not starting or ending with
// '-'), 1..63 bytes each, separated by single dots, 253 bytes at most.
bool IsValidTrustDomain(std::string_view domain);
// "host:port", "[v6addr]:port"; port 1..65535; host a name or IPv4 address
// ([A-Za-z0-9._-]) or a bracketed IPv6 address. OK or InvalidArgument with
// the reason (without file or field).
absl::Status CheckHostPort(std::string_view host_port);

}  // namespace ifed

#endif  // IFED_CONFIG_NODE_CONFIG_H_
