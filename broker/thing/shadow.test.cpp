#include "broker/thing/shadow.hpp"

#include <string>

#include <gtest/gtest.h>

#include "broker/thing/shadow_test_util.hpp"

using namespace iotb::thing;
using namespace iotb::thing::shadow_test;

// -- the stored document ----------------------------------------------------------------

TEST(ShadowDoc, StoredFormIsCompactSpecJson) {
  EXPECT_EQ(shadow_doc{}.to_json(), R"({"state":{},"metadata":{},"timestamp":0,"version":0})");
  EXPECT_EQ(sample().to_json(),
            R"({"state":{"desired":{"color":"green"},"reported":{"color":"red","temp":21.5}},)"
            R"("metadata":{"desired":{"color":{"timestamp":1600000002}},)"
            R"("reported":{"color":{"timestamp":1600000001},"temp":{"timestamp":1600000001}}},)"
            R"("timestamp":1600000002,"version":3})");
}

TEST(ShadowDoc, RoundTrip) {
  shadow_doc d = sample();
  d.reported["nested"] = {R"({"a":[1,2.25,{"b":null}],"s":"é\"\\\u0001"})", 1600000005};
  d.reported["big"] = {"18446744073709553000.0", 7};  // the writer's canonical form
  d.reported["tiny"] = {"0.1", 8};
  d.desired["neg"] = {"-0.0", 9};
  d.desired[std::string("nul\0key", 7)] = {"true", 10};
  d.version = -1;  // any int64 survives
  auto back = parse_shadow_doc(d.to_json());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
  EXPECT_EQ(back->to_json(), d.to_json());
  // A document produced by requests round-trips too.
  auto r = run(d, R"({"method":"update","state":{"reported":{"x":{"y":[1e-7,3]}}}})");
  ASSERT_TRUE(r.changed);
  auto again = parse_shadow_doc(r.stored);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, r.doc);
}

TEST(ShadowDoc, NumbersAreReadExactly) {
  // 0e89 is the fuzzer's first find: RapidJSON 1.1's own strtod is undefined on it.
  auto r =
      run({}, R"({"method":"update","state":{"reported":{"z":0e89,"y":-0,"x":0.1,)"
              R"("w":18446744073709551616,"v":-9223372036854775808,"u":18446744073709551615}}})");
  ASSERT_FALSE(r.error) << r.reply;
  EXPECT_EQ(r.doc.reported.at("z").value, "0.0");
  EXPECT_EQ(r.doc.reported.at("y").value, "0");
  EXPECT_EQ(r.doc.reported.at("x").value, "0.1");
  EXPECT_EQ(r.doc.reported.at("w").value, "18446744073709553000.0");
  EXPECT_EQ(r.doc.reported.at("v").value, "-9223372036854775808");
  EXPECT_EQ(r.doc.reported.at("u").value, "18446744073709551615");
  EXPECT_EQ(*parse_shadow_doc(r.stored), r.doc);
  EXPECT_EQ(code_of(run({}, R"({"method":"update","state":{"reported":{"a":1e400}}})")), 400);
  EXPECT_EQ(code_of(run({}, "0e89")), 400);
}

TEST(ShadowDoc, ParseIsLenientOnlyWhereHarmless) {
  // An attribute without metadata takes the document's timestamp; stray metadata is dropped.
  auto d = parse_shadow_doc(
      R"({"state":{"reported":{"a":1}},"metadata":{"reported":{"zz":{"timestamp":1}}},"timestamp":5,"version":2})");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->reported.at("a").timestamp, 5);
  EXPECT_EQ(d->reported.size(), 1u);
  for (
      std::string_view bad :
      {"", "[]", "{", R"({"state":{},"timestamp":0})", R"({"state":{},"version":0})",
       R"({"state":[],"timestamp":0,"version":0})",
       R"({"state":{"reported":[]},"timestamp":0,"version":0})",
       R"({"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":"x"}}},"timestamp":0,"version":0})",
       R"({"state":{},"timestamp":1.5,"version":0})",
       "{\"state\":{\"reported\":{\"a\":\"\xff\"}},\"timestamp\":0,\"version\":0}"})
    EXPECT_FALSE(parse_shadow_doc(bad).has_value()) << bad;
}

// -- update and version rules -----------------------------------------------------------

TEST(ShadowUpdate, FirstReportCreatesTheShadow) {
  auto r = run({}, R"({"method":"update","state":{"reported":{"color":"red"}},"version":1})");
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.method, shadow_method::update);
  EXPECT_TRUE(r.changed);
  EXPECT_FALSE(r.desired_changed);
  EXPECT_EQ(
      r.reply,
      R"({"method":"reply","payload":{"status":"success","version":1},"timestamp":1700000100})");
  EXPECT_EQ(
      r.stored,
      R"({"state":{"reported":{"color":"red"}},"metadata":{"reported":{"color":{"timestamp":1700000100}}},"timestamp":1700000100,"version":1})");
  EXPECT_EQ(r.stored, r.doc.to_json());
}

TEST(ShadowUpdate, MetadataTimestampsPerAttribute) {
  auto r =
      run(sample(),
          R"({"method":"update","state":{"reported":{"temp":{"in":22,"out":[1,2]}}},"version":4})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.reported.at("temp").value, R"({"in":22,"out":[1,2]})");
  EXPECT_EQ(r.doc.reported.at("temp").timestamp, 1700000100);   // written now
  EXPECT_EQ(r.doc.reported.at("color").timestamp, 1600000001);  // untouched
  EXPECT_EQ(r.doc.desired.at("color").timestamp, 1600000002);
  EXPECT_EQ(r.doc.timestamp, 1700000100);
  EXPECT_EQ(r.doc.version, 4);
  // A top-level attribute is replaced whole, not merged.
  auto r2 =
      run(r.doc, R"({"method":"update","state":{"reported":{"temp":{"in":23}}},"version":5})");
  EXPECT_EQ(r2.doc.reported.at("temp").value, R"({"in":23})");
}

TEST(ShadowVersion, GreaterBecomesTheVersion) {
  auto r = run(sample(), R"({"method":"update","state":{"reported":{"a":1}},"version":10})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.version, 10);
  EXPECT_NE(r.reply.find(R"("version":10)"), std::string::npos);
}

TEST(ShadowVersion, BackwardsAndEqualConflict) {
  for (const char* v : {"3", "2", "0", "-5"}) {
    auto r =
        run(sample(),
            std::string(R"({"method":"update","state":{"reported":{"a":1}},"version":)") + v + "}");
    EXPECT_EQ(code_of(r), 409) << v;
    EXPECT_FALSE(r.changed);
    EXPECT_EQ(r.doc, sample());
    EXPECT_TRUE(r.stored.empty());
  }
  auto r = run(sample(), R"({"method":"update","state":{"reported":{"a":1}},"version":3})");
  EXPECT_EQ(r.reply,
            error_json("409", "version conflict (3 is not greater than the current version 3)"));
}

TEST(ShadowVersion, MissingMeansUnversioned) {
  auto r = run(sample(), R"({"method":"update","state":{"reported":{"a":1}}})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.version, 4);
  r = run(sample(), R"({"method":"update","state":{"reported":{"a":1}},"version":null})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.version, 4);
}

TEST(ShadowVersion, NotANumber) {
  for (const char* v : {R"("4")", "4.5", "true", "{}", "[4]", "18446744073709551615"}) {
    auto r =
        run(sample(),
            std::string(R"({"method":"update","state":{"reported":{"a":1}},"version":)") + v + "}");
    EXPECT_EQ(code_of(r), 403) << v;
    EXPECT_FALSE(r.changed);
  }
}

TEST(ShadowVersion, MinusOneResetsToZero) {
  auto r = run(sample(), R"({"method":"update","state":{"reported":{"a":1}},"version":-1})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.version, 0);
  EXPECT_EQ(r.doc.reported.at("a").value, "1");
  auto next = run(r.doc, R"({"method":"update","state":{"reported":{"a":2}},"version":1})");
  EXPECT_FALSE(next.error);
}

TEST(ShadowVersion, OverflowAsksForAReset) {
  shadow_doc d = sample();
  d.version = INT64_MAX;
  auto r = run(d, R"({"method":"update","state":{"reported":{"a":1}}})");
  EXPECT_EQ(code_of(r), 409);
  EXPECT_EQ(code_of(run(d, R"({"method":"update","state":{"reported":{"a":1}},"version":-1})")),
            200);
}

TEST(ShadowUpdate, NullAttributeDeletesIt) {
  auto r = run(sample(),
               R"({"method":"update","state":{"reported":{"color":null,"temp":"null","n":1}}})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.doc.reported.size(), 1u);
  EXPECT_TRUE(r.doc.reported.contains("n"));
  EXPECT_EQ(r.stored.find("temp"), std::string::npos);  // metadata gone too
}

TEST(ShadowUpdate, V3SdkClearsDesiredWithAnUpdate) {
  // What the v3 SDK sends after a control message (shadow_delta.c).
  auto r =
      run(sample(),
          R"({"method":"update","state":{"desired":"null"},"clientToken":"dev-3","version":4})");
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(r.desired_changed);
  EXPECT_TRUE(r.doc.desired.empty());
  EXPECT_EQ(r.doc.reported, sample().reported);
  EXPECT_EQ(r.stored.find("desired"), std::string::npos);
  EXPECT_EQ(
      r.reply,
      R"({"method":"reply","clientToken":"dev-3","payload":{"status":"success","version":4},"timestamp":1700000100})");
}

TEST(ShadowUpdate, DeviceMayWriteDesired) {
  auto r = run(sample(), R"({"method":"update","state":{"desired":{"mode":2}}})");
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(r.desired_changed);
  EXPECT_EQ(r.doc.desired.at("mode").value, "2");
}

// -- delete -----------------------------------------------------------------------------

TEST(ShadowDelete, OneReportedAttribute) {
  auto r =
      run(sample(), R"({"method":"delete","state":{"reported":{"color":"null"}},"version":4})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.method, shadow_method::remove);
  EXPECT_FALSE(r.doc.reported.contains("color"));
  EXPECT_TRUE(r.doc.reported.contains("temp"));
  EXPECT_TRUE(r.doc.desired.contains("color"));  // the desired one stays
  EXPECT_EQ(r.doc.version, 4);
  EXPECT_EQ(
      r.reply,
      R"({"method":"reply","payload":{"status":"success","version":4},"timestamp":1700000100})");
  EXPECT_EQ(r.stored.find(R"("reported":{"color")"), std::string::npos);
  // Listed attributes are deleted whatever their value; absent ones are ignored.
  auto r2 = run(sample(), R"({"method":"delete","state":{"reported":{"temp":1,"nope":"null"}}})");
  ASSERT_FALSE(r2.error);
  EXPECT_EQ(r2.doc.reported.size(), 1u);
}

TEST(ShadowDelete, AllReported) {
  auto r = run(sample(), R"({"method":"delete","state":{"reported":"null"},"version":4})");
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(r.doc.reported.empty());
  EXPECT_EQ(r.doc.desired.size(), 1u);
  EXPECT_EQ(
      r.stored,
      R"({"state":{"desired":{"color":"green"}},"metadata":{"desired":{"color":{"timestamp":1600000002}}},"timestamp":1700000100,"version":4})");
}

TEST(ShadowDelete, DesiredAttributesAndAll) {
  auto r = run(sample(), R"({"method":"delete","state":{"desired":{"color":"null"}},"version":4})");
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(r.desired_changed);
  EXPECT_TRUE(r.doc.desired.empty());
  EXPECT_EQ(r.stored.find("desired"), std::string::npos);
  auto all = run(sample(), R"({"method":"delete","state":{"desired":"null","reported":"null"}})");
  ASSERT_FALSE(all.error);
  EXPECT_TRUE(all.doc.empty());
  EXPECT_EQ(all.doc.version, 4);
}

TEST(ShadowDelete, EmptyShadowIs407) {
  auto r = run({}, R"({"method":"delete","state":{"reported":"null"},"version":1})");
  EXPECT_EQ(code_of(r), 407);
  EXPECT_FALSE(r.changed);
}

TEST(ShadowDelete, V3SdkMalformedDeleteIs400WithItsToken) {
  // shadow.c's IOT_Shadow_DeleteAttribute writes a double comma.
  auto r = run(
      sample(),
      R"({"method":"delete",,"state":{"reported":{"color":"null"}},"clientToken":"dev-5","version":4})");
  EXPECT_EQ(code_of(r), 400);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.reply, error_json("400", "invalid JSON format", R"("dev-5")"));
}

// -- get --------------------------------------------------------------------------------

TEST(ShadowGet, ReplyHasStateMetadataAndVersion) {
  auto r = run(sample(), R"({"method":"get","clientToken":"dev-1","version":99})");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.method, shadow_method::get);
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(r.stored.empty());
  EXPECT_EQ(r.reply,
            R"({"method":"reply","clientToken":"dev-1","payload":{"status":"success",)"
            R"("state":{"desired":{"color":"green"},"reported":{"color":"red","temp":21.5}},)"
            R"("metadata":{"desired":{"color":{"timestamp":1600000002}},)"
            R"("reported":{"color":{"timestamp":1600000001},"temp":{"timestamp":1600000001}}}},)"
            R"("version":3,"timestamp":1700000100})");
  expect_compact(r.reply);
}

TEST(ShadowGet, EmptyShadowIs407) {
  auto r = run({}, R"({"method":"get","clientToken":"t"})");
  EXPECT_EQ(r.reply, error_json("407", "shadow document is empty", R"("t")"));
}

// -- clientToken ------------------------------------------------------------------------

TEST(ShadowClientToken, EchoedAtTopLevelOrNotAtAll) {
  auto ok =
      run(sample(), R"({"method":"update","state":{"reported":{"a":1}},"clientToken":"abc-1"})");
  EXPECT_EQ(ok.reply.rfind(R"({"method":"reply","clientToken":"abc-1","payload":)", 0), 0u)
      << ok.reply;
  auto err = run(sample(), R"({"method":"update","clientToken":"abc-2"})");
  EXPECT_EQ(code_of(err), 402);
  EXPECT_EQ(err.reply.rfind(R"({"method":"reply","clientToken":"abc-2","payload":)", 0), 0u);
  auto none = run(sample(), R"({"method":"update","state":{"reported":{"a":1}}})");
  EXPECT_EQ(none.reply.find("clientToken"), std::string::npos);
  auto number = run(sample(), R"({"method":"get","clientToken":8480})");
  EXPECT_NE(number.reply.find(R"("clientToken":8480,)"), std::string::npos);
  auto escaped = run(sample(), R"({"method":"get","clientToken":"a\"b\u00e9"})");
  EXPECT_NE(escaped.reply.find(R"("clientToken":"a\"bé")"), std::string::npos) << escaped.reply;
}

TEST(ShadowClientToken, BadTokenIs400) {
  auto long_token =
      run(sample(), R"({"method":"get","clientToken":")" + std::string(257, 'x') + "\"}");
  EXPECT_EQ(code_of(long_token), 400);
  EXPECT_EQ(long_token.reply.find("\"clientToken\":"), std::string::npos);
  EXPECT_EQ(code_of(run(sample(), R"({"method":"get","clientToken":{"a":1}})")), 400);
  EXPECT_EQ(code_of(run(sample(), R"({"method":"get","clientToken":1.5})")), 400);
}

// -- the application side ---------------------------------------------------------------

TEST(ShadowDesired, ControlMessage) {
  auto r = apply_desired(sample(),
                         R"({"state":{"desired":{"color":"blue","level":3}},"version":7})", t1_ms);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->doc.version, 7);
  EXPECT_EQ(r->stored, r->doc.to_json());
  EXPECT_EQ(
      r->control,
      R"({"method":"control","payload":{"state":{"desired":{"color":"blue","level":3},)"
      R"("reported":{"color":"red","temp":21.5}},"metadata":{"desired":{"color":{"timestamp":1700000100},)"
      R"("level":{"timestamp":1700000100}},"reported":{"color":{"timestamp":1600000001},)"
      R"("temp":{"timestamp":1600000001}}}},"version":7,"timestamp":1700000100})");
  EXPECT_EQ(r->control, control_message(r->doc, t1_ms));
}

TEST(ShadowDesired, VersionRules) {
  auto next = [](const char* body) {
    auto r = apply_desired(sample(), body, t1_ms);
    return r ? r->doc.version : -100 - shadow_http_status(r.error().code);
  };
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}}})"), 4);              // absent: +1
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}},"version":0})"), 4);  // 0: no versioning
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}},"version":9})"), 9);
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}},"version":-1})"), 0);
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}},"version":3})"), -100 - 409);
  EXPECT_EQ(next(R"({"state":{"desired":{"a":1}},"version":"9"})"), -100 - 400);
  EXPECT_EQ(next(R"({"method":"update","state":{"desired":{"a":1}},"version":5})"), 5);
}

TEST(ShadowDesired, NullDeletesAndErrors) {
  auto r = apply_desired(sample(), R"({"state":{"desired":{"color":null,"x":1}}})", t1_ms);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->doc.desired.contains("color"));
  EXPECT_TRUE(r->doc.desired.contains("x"));
  auto all = apply_desired(sample(), R"({"state":{"desired":"null"}})", t1_ms);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->doc.desired.empty());
  // reported in the body is not the application's to write: ignored.
  auto rep = apply_desired(sample(), R"({"state":{"desired":{"x":1},"reported":{"y":2}}})", t1_ms);
  ASSERT_TRUE(rep.has_value());
  EXPECT_FALSE(rep->doc.reported.contains("y"));
  auto err = [](const char* body) {
    auto out = apply_desired(sample(), body, t1_ms);
    return out ? shadow_errc::server_error : out.error().code;
  };
  EXPECT_EQ(err("{"), shadow_errc::bad_json);
  EXPECT_EQ(err(R"({"version":1})"), shadow_errc::missing_state);
  EXPECT_EQ(err(R"({"state":{"reported":{"a":1}}})"), shadow_errc::missing_reported);
  EXPECT_EQ(err(R"({"state":{"desired":{}}})"), shadow_errc::empty_reported);
  EXPECT_EQ(err(R"({"method":"delete","state":{"desired":{"a":1}}})"), shadow_errc::invalid_method);
  EXPECT_EQ(err(R"({"state":{"desired":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}})"),
            shadow_errc::too_deep);
  // The parsed form.
  rapidjson::Document d;
  d.Parse(R"({"mode":"eco"})");
  auto parsed = apply_desired(sample(), d, std::optional<std::int64_t>{}, t1_ms);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->doc.desired.at("mode").value, R"("eco")");
}

TEST(ShadowDesired, FlowWithTheDevice) {
  // Application sets desired; the device gets the control, reports, clears desired.
  auto app = apply_desired(sample(), R"({"state":{"desired":{"color":"blue"}}})", t0_ms);
  ASSERT_TRUE(app.has_value());
  auto rep =
      run(app->doc, R"({"method":"update","state":{"reported":{"color":"blue"}},"version":5})");
  ASSERT_FALSE(rep.error) << rep.reply;
  auto clr = run(rep.doc, R"({"method":"update","state":{"desired":"null"},"version":6})");
  ASSERT_FALSE(clr.error);
  EXPECT_TRUE(clr.doc.desired.empty());
  EXPECT_EQ(clr.doc.reported.at("color").value, R"("blue")");
  EXPECT_EQ(clr.doc.version, 6);
}
