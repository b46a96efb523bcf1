// The purpose table of the federation calls and the re-decision of held
// watches.
#include "node/policy/purpose.h"

#include <gtest/gtest.h>

namespace ifed::policy {
namespace {

using ifed::v1::Purpose;

constexpr Call kAll[] = {Call::kMatch,        Call::kMatchStream,  Call::kWatch,
                         Call::kFollowUp,     Call::kOprfEvaluate, Call::kOprfResolve,
                         Call::kDeconflict};

TEST(PurposeTable, TakedownDeconflictionServesDeconflictOnly) {
  for (Call c : kAll) {
    EXPECT_EQ(PurposeAccepted(c, ifed::v1::TAKEDOWN_DECONFLICTION), c == Call::kDeconflict)
        << CallName(c);
  }
  EXPECT_EQ(AcceptedPurposes(Call::kDeconflict),
            std::vector<Purpose>{ifed::v1::TAKEDOWN_DECONFLICTION});
}

TEST(PurposeTable, InvestigativePurposesServeEveryOtherCall) {
  for (Call c : kAll) {
    if (c == Call::kDeconflict) continue;
    const std::vector<Purpose> ok = AcceptedPurposes(c);
    EXPECT_EQ(ok.size(), 8u) << CallName(c);
    for (Purpose p : ok) {
      EXPECT_NE(p, ifed::v1::TAKEDOWN_DECONFLICTION);
      EXPECT_NE(p, ifed::v1::PURPOSE_UNSPECIFIED);
      EXPECT_FALSE(PurposeAccepted(Call::kDeconflict, p)) << PurposeName(p);
    }
  }
}

TEST(PurposeTable, UnspecifiedAndOutOfRangeAreRefusedEverywhere) {
  for (Call c : kAll) {
    EXPECT_FALSE(PurposeAccepted(c, ifed::v1::PURPOSE_UNSPECIFIED)) << CallName(c);
    EXPECT_FALSE(PurposeAccepted(c, static_cast<Purpose>(99))) << CallName(c);
    EXPECT_EQ(CheckPurpose(c, static_cast<Purpose>(99)).code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(PurposeName(static_cast<Purpose>(99)), "unspecified");
}

TEST(PurposeTable, RefusalNamesThePurposeAndTheCall) {
  absl::Status s = CheckPurpose(Call::kWatch, ifed::v1::TAKEDOWN_DECONFLICTION);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "purpose takedown_deconfliction is not accepted by Watch (it serves Deconflict only)");
  s = CheckPurpose(Call::kDeconflict, ifed::v1::MIGRANT_SMUGGLING);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("purpose migrant_smuggling is not accepted by Deconflict"),
            std::string::npos)
      << s;
  s = CheckPurpose(Call::kMatch, ifed::v1::PURPOSE_UNSPECIFIED);
  EXPECT_NE(s.message().find("purpose unspecified is not accepted by Match"), std::string::npos)
      << s;
  EXPECT_TRUE(CheckPurpose(Call::kFollowUp, ifed::v1::TERRORISM).ok());
  EXPECT_TRUE(CheckPurpose(Call::kDeconflict, ifed::v1::TAKEDOWN_DECONFLICTION).ok());
}

std::shared_ptr<const Policy> Load(const std::string& text) {
  auto p = Policy::LoadTexts({{"p.yaml", text}});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

constexpr char kRule[] = R"(partners:
  - partner: at
    legal_basis: "test"
    types: [phone, url]
    purposes: [migrant_smuggling]
    watches: {allowed: true}
)";

TEST(HeldWatch, AllowedWhileTheRuleStands) {
  auto p = Load(kRule);
  const EffectiveRule* r = p->Find("at", Direction::kInbound, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(HeldWatchAllowed(r, ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE, ifed::v1::URL})
                  .ok());
}

TEST(HeldWatch, RefusedOnceTheRuleNarrows) {
  auto p = Load(kRule);
  const EffectiveRule* r = p->Find("at", Direction::kInbound, 0);
  ASSERT_NE(r, nullptr);
  absl::Status s = HeldWatchAllowed(r, ifed::v1::TERRORISM, {ifed::v1::PHONE});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("purpose terrorism is no longer allowed (p.yaml:"),
            std::string::npos)
      << s;
  s = HeldWatchAllowed(r, ifed::v1::MIGRANT_SMUGGLING, {ifed::v1::PHONE, ifed::v1::HANDLE});
  EXPECT_NE(s.message().find("indicator type handle is no longer allowed"), std::string::npos)
      << s;
  s = HeldWatchAllowed(r, ifed::v1::TAKEDOWN_DECONFLICTION, {ifed::v1::URL});
  EXPECT_NE(s.message().find("not accepted by Watch"), std::string::npos) << s;
  EXPECT_EQ(HeldWatchAllowed(nullptr, ifed::v1::MIGRANT_SMUGGLING, {}).code(),
            absl::StatusCode::kPermissionDenied);
  auto no_watches = Load(R"(partners:
  - partner: at
    legal_basis: "test"
    types: [phone]
    purposes: [migrant_smuggling]
)");
  s = HeldWatchAllowed(no_watches->Find("at", Direction::kInbound, 0), ifed::v1::MIGRANT_SMUGGLING,
                       {ifed::v1::PHONE});
  EXPECT_NE(s.message().find("watches are no longer allowed"), std::string::npos) << s;
  auto oprf = Load(R"(partners:
  - partner: at
    legal_basis: "test"
    types: [phone]
    purposes: [migrant_smuggling]
    scheme: oprf
    watches: {allowed: true}
)");
  s = HeldWatchAllowed(oprf->Find("at", Direction::kInbound, 0), ifed::v1::MIGRANT_SMUGGLING,
                       {ifed::v1::PHONE});
  EXPECT_NE(s.message().find("keyed scheme is no longer allowed"), std::string::npos) << s;
}

}  // namespace
}  // namespace ifed::policy
