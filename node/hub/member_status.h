// The outcome of one member call of the hub, from its gRPC code.
#ifndef IFED_HUB_MEMBER_STATUS_H_
#define IFED_HUB_MEMBER_STATUS_H_

#include <grpcpp/grpcpp.h>

#include "proto/federation.pb.h"

namespace ifed::hub {

inline ifed::v1::MemberStatus MemberStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return ifed::v1::MEMBER_ANSWERED;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return ifed::v1::MEMBER_DENIED;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ifed::v1::MEMBER_TIMED_OUT;
    case grpc::StatusCode::UNAVAILABLE:
      return ifed::v1::MEMBER_UNAVAILABLE;
    default:
      return ifed::v1::MEMBER_FAILED;
  }
}

}  // namespace ifed::hub

#endif  // IFED_HUB_MEMBER_STATUS_H_
