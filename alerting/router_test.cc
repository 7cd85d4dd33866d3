#include "alerting/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::alerting {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AlertingConfig TwoHomes() {
  AlertingConfig c;
  c.sites.push_back(Site{"rennes", {Member{"Alice", "", "!alice:x", "alice@x.org"}, Member{"Ops", "", "!ops:x", ""}}});
  c.sites.push_back(Site{"lyon", {}});
  c.admins.push_back(Member{"Ops", "", "!ops:x", "ops@x.org"});
  return c;
}

AlertEvent Event(const std::string& rule, const std::string& site, const std::string& subject, Severity severity,
                 EventKind kind = EventKind::kFiring) {
  AlertEvent e;
  e.alert.id = 7;
  e.alert.key = AlertKey{rule, site, site.empty() ? "" : site + "-1", subject};
  e.alert.severity = severity;
  e.alert.summary = rule + " " + subject;
  e.alert.started_ms = 1'764'000'000'000;
  e.kind = kind;
  e.at_ms = e.alert.started_ms;
  return e;
}

std::vector<std::string> Targets(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> out;
  for (const OutboxEntry& e : entries) out.push_back(e.target + (e.to_admins ? " (admins)" : ""));
  return out;
}

TEST(Router, WarningGoesToTheSiteMembersOnly) {
  const auto entries = Route(TwoHomes(), {Event(kRuleFilesystemFull, "rennes", "/", Severity::kWarning)},
                             Channels{true, true}, "x.org");
  EXPECT_THAT(Targets(entries), ::testing::UnorderedElementsAre("alice@x.org", "!alice:x", "!ops:x"));
}

TEST(Router, CriticalAlsoReachesTheAdminsOncePerAddress) {
  const auto entries = Route(TwoHomes(), {Event(kRuleSmartFailing, "rennes", "sda", Severity::kCritical)},
                             Channels{true, true}, "x.org");
  // Ops is both a member (room) and an admin (room, e-mail): the room gets it once.
  EXPECT_THAT(Targets(entries),
              ::testing::UnorderedElementsAre("alice@x.org", "ops@x.org (admins)", "!alice:x", "!ops:x"));
}

TEST(Router, SiteWithoutMembersFallsBackToTheAdmins) {
  const auto entries = Route(TwoHomes(), {Event(kRuleNodeOffline, "lyon", "", Severity::kWarning)},
                             Channels{true, true}, "x.org");
  EXPECT_THAT(Targets(entries), ::testing::UnorderedElementsAre("ops@x.org (admins)", "!ops:x (admins)"));
}

TEST(Router, FailingChannelIsReportedThroughTheOthers) {
  const auto entries = Route(TwoHomes(), {Event(kRuleNotificationsFailing, "", "matrix", Severity::kCritical)},
                             Channels{true, true}, "x.org");
  EXPECT_THAT(Targets(entries), ::testing::ElementsAre("ops@x.org (admins)"));
}

TEST(Router, ResolvedMailReferencesTheFiringMail) {
  const auto firing = Route(TwoHomes(), {Event(kRuleNodeOffline, "rennes", "", Severity::kWarning)},
                            Channels{false, true}, "x.org");
  const auto resolved = Route(TwoHomes(), {Event(kRuleNodeOffline, "rennes", "", Severity::kWarning,
                                                 EventKind::kResolved)},
                              Channels{false, true}, "x.org");
  ASSERT_EQ(firing.size(), 1u);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(firing[0].subject, "[vigie] FIRING rennes-1 offline");
  EXPECT_EQ(resolved[0].subject, "[vigie] RESOLVED rennes-1 offline");
  EXPECT_EQ(resolved[0].references, firing[0].message_id);
  EXPECT_EQ(firing[0].message_id, "<alert-7-1764000000000@x.org>");
}

TEST(Router, EventsForOneRoomAreOneMessageWithEscapedHtml) {
  AlertEvent hot = Event(kRuleTemperature, "rennes", "coretemp <Package>", Severity::kWarning);
  const auto entries = Route(TwoHomes(), {hot, Event(kRuleFilesystemFull, "rennes", "/", Severity::kWarning)},
                             Channels{true, false}, "x.org");
  ASSERT_EQ(entries.size(), 2u);  // !alice:x and !ops:x, each one message
  EXPECT_THAT(entries[0].text, HasSubstr("Vigie: 2 changes"));
  EXPECT_THAT(entries[0].html, HasSubstr("coretemp &lt;Package&gt;"));
}

TEST(Router, RebootsOfOneSiteMakeOneMail) {
  AlertEvent one = Event(kRuleUnexpectedReboot, "rennes", "", Severity::kWarning);
  AlertEvent two = one;
  two.alert.id = 8;
  two.alert.key.node = "rennes-2";
  const auto entries = Route(TwoHomes(), {one, two}, Channels{false, true}, "x.org");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].target, "alice@x.org");
  EXPECT_EQ(entries[0].subject, "[vigie] FIRING 2 machines at rennes restarted unexpectedly");
  EXPECT_THAT(entries[0].text, HasSubstr("Where: rennes-1 (home rennes)"));
  EXPECT_THAT(entries[0].text, HasSubstr("Where: rennes-2 (home rennes)"));
}

std::vector<AlertEvent> FullFilesystems(int count, EventKind kind) {
  std::vector<AlertEvent> events;
  for (int i = 0; i < count; ++i) {
    AlertEvent e = Event(kRuleFilesystemFull, "rennes", "/srv/" + std::to_string(i), Severity::kCritical, kind);
    e.alert.id = 100 + i;
    events.push_back(e);
  }
  return events;
}

TEST(Router, EventsForOneAddressAreOneMail) {
  const auto entries = Route(TwoHomes(), FullFilesystems(6, EventKind::kFiring), Channels{false, true}, "x.org");
  ASSERT_EQ(entries.size(), 2u);  // Alice, and the admins (critical)
  EXPECT_THAT(Targets(entries), ::testing::UnorderedElementsAre("alice@x.org", "ops@x.org (admins)"));
  for (const OutboxEntry& e : entries) {
    EXPECT_EQ(e.subject, "[vigie] 6 FIRING: rennes-1 filesystem /srv/0 nearly full and 5 more");
    EXPECT_THAT(e.text, HasSubstr("Vigie: 6 changes"));
    EXPECT_THAT(e.text, HasSubstr("filesystem_full /srv/5"));
    // The first alert's firing id: its later mails thread under this one.
    EXPECT_EQ(e.message_id, "<alert-100-1764000000000@x.org>");
    EXPECT_EQ(e.references, "");
  }
}

TEST(Router, MergedResolvedMailReferencesEachFiringMail) {
  const auto entries = Route(TwoHomes(), FullFilesystems(3, EventKind::kResolved), Channels{false, true}, "x.org");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].subject, "[vigie] 3 RESOLVED: rennes-1 filesystem /srv/0 nearly full and 2 more");
  EXPECT_EQ(entries[0].references,
            "<alert-100-1764000000000@x.org> <alert-101-1764000000000@x.org> <alert-102-1764000000000@x.org>");
}

TEST(Router, ClockWrongGoesToTheAdminsOnly) {
  const auto entries = Route(TwoHomes(), {Event(kRuleClockWrong, "rennes", "", Severity::kWarning)},
                             Channels{true, true}, "x.org");
  EXPECT_THAT(Targets(entries), ::testing::UnorderedElementsAre("ops@x.org (admins)", "!ops:x (admins)"));
  EXPECT_EQ(entries[0].subject, "[vigie] FIRING rennes-1 clock wrong");
}

TEST(Router, NodeStringsCannotAddLinesOrEscapes) {
  AlertEvent forged = Event(kRuleFilesystemFull, "rennes", "/x\r\nBcc: evil@example.org\x1b[2J", Severity::kWarning);
  forged.alert.summary = "filesystem /x\nBcc: evil@example.org\n\x1b]0;pwned\x07 is 99% full";
  forged.alert.key.node = "rennes-1\n\xc2\x9b" "31m";
  for (const OutboxEntry& e : Route(TwoHomes(), {forged}, Channels{true, true}, "x.org")) {
    for (const std::string* text : {&e.subject, &e.text, &e.html}) {
      EXPECT_THAT(*text, Not(HasSubstr("\nBcc:"))) << e.target;
      EXPECT_THAT(*text, Not(HasSubstr("\x1b"))) << e.target;
      EXPECT_THAT(*text, Not(HasSubstr("\x07"))) << e.target;
      EXPECT_THAT(*text, Not(HasSubstr("\r"))) << e.target;
      EXPECT_THAT(*text, Not(HasSubstr("\xc2\x9b"))) << e.target;  // U+009B, the C1 CSI
    }
    EXPECT_THAT(e.subject, Not(HasSubstr("\n")));
    EXPECT_THAT(e.text, HasSubstr("Bcc: evil@example.org"));  // still there to read, on no line of its own
  }
}

TEST(Router, MergedMessageStopsListingAtItsBudgetAndSaysSo) {
  std::vector<AlertEvent> events = FullFilesystems(2000, EventKind::kFiring);
  for (AlertEvent& e : events) e.alert.summary = std::string(1500, 'x');
  for (const OutboxEntry& e : Route(TwoHomes(), events, Channels{true, true}, "x.org")) {
    EXPECT_LE(e.text.size(), 30'000u) << e.target;
    EXPECT_LE(e.html.size(), 30'000u) << e.target;
    EXPECT_THAT(e.text, HasSubstr("Vigie: 2000 changes"));
    EXPECT_THAT(e.text, ::testing::MatchesRegex("(.|\n)*\\.\\.\\. and 19[0-9][0-9] more changes \\(`vigiectl alerts` lists them all\\)\\."));
  }
}

}  // namespace
}  // namespace vigie::alerting
