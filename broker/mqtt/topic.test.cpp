// Tests of valid_utf8, valid_topic_name and valid_topic_filter.

#include <gtest/gtest.h>

#include <string>

#include "broker/mqtt/codec.hpp"

using namespace iotb::mqtt;
using namespace std::string_literals;

TEST(mqtt_utf8, accepts_well_formed) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("hello/world"));
  EXPECT_TRUE(valid_utf8("\xC2\x80"));          // U+0080, smallest 2-byte
  EXPECT_TRUE(valid_utf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));      // U+E000, just above surrogates
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, largest
  EXPECT_TRUE(valid_utf8("gr\xC3\xBC\xC3\x9F/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80"));
  EXPECT_TRUE(valid_utf8("\x01\x7F"));  // control characters are allowed
}

TEST(mqtt_utf8, rejects_null_character) {
  EXPECT_FALSE(valid_utf8("\0"s));
  EXPECT_FALSE(valid_utf8("a\0b"s));
  EXPECT_FALSE(valid_utf8("\xC0\x80"));  // overlong U+0000 (modified UTF-8)
}

TEST(mqtt_utf8, rejects_overlong_encodings) {
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // '/' in 2 bytes
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));          // U+007F in 2 bytes
  EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // '/' in 3 bytes
  EXPECT_FALSE(valid_utf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // '/' in 4 bytes
  EXPECT_FALSE(valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
}

TEST(mqtt_utf8, rejects_surrogates_and_out_of_range) {
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));              // U+D800
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));              // U+DFFF
  EXPECT_FALSE(valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 surrogate pair
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));          // U+110000
  EXPECT_FALSE(valid_utf8("\xF7\xBF\xBF\xBF"));          // U+1FFFFF
  EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));      // 5-byte form
  EXPECT_FALSE(valid_utf8("\xFC\x84\x80\x80\x80\x80"));  // 6-byte form
  EXPECT_FALSE(valid_utf8("\xFE"));
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(mqtt_utf8, rejects_broken_sequences) {
  EXPECT_FALSE(valid_utf8("\x80"));  // lone continuation byte
  EXPECT_FALSE(valid_utf8("a\xBF"));
  EXPECT_FALSE(valid_utf8("\xC3"));          // truncated 2-byte
  EXPECT_FALSE(valid_utf8("\xE6\x97"));      // truncated 3-byte
  EXPECT_FALSE(valid_utf8("\xF0\x9F\x98"));  // truncated 4-byte
  EXPECT_FALSE(valid_utf8("\xC3\x28"));      // bad continuation
  EXPECT_FALSE(valid_utf8("\xE6\x28\xA5"));
  EXPECT_FALSE(valid_utf8("\xF0\x9F\x28\x80"));
  EXPECT_FALSE(valid_utf8("\xE6\x97\xA5\x80"));  // extra continuation
}

TEST(mqtt_topic, topic_names) {
  struct row {
    std::string topic;
    bool valid;
  };
  const row rows[] = {
      {"a", true},
      {"a/b/c", true},
      {"/", true},
      {"//", true},
      {"/a/", true},
      {"$SYS/broker/load", true},
      {"sport/tennis player1/ranking", true},
      {"caf\xC3\xA9", true},
      {"", false},
      {"+", false},
      {"#", false},
      {"a/+/b", false},
      {"a/#", false},
      {"a+", false},
      {"a#b", false},
      {"caf\xC3", false},
      {"a\0b"s, false},
      {std::string(65535, 'x'), true},
      {std::string(65536, 'x'), false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(valid_topic_name(r.topic), r.valid) << "topic: " << r.topic.substr(0, 40);
}

TEST(mqtt_topic, topic_filters) {
  struct row {
    std::string filter;
    bool valid;
  };
  const row rows[] = {
      {"a", true},
      {"a/b", true},
      {"#", true},
      {"+", true},
      {"/", true},
      {"+/+", true},
      {"/+", true},
      {"a/#", true},
      {"a/+/b", true},
      {"a/+/#", true},
      {"+/#", true},
      {"/#", true},
      {"$SYS/#", true},
      {"a//b", true},
      {"", false},
      {"a+", false},
      {"+a", false},
      {"a/b+/c", false},
      {"a/++/c", false},
      {"#/a", false},
      {"a/#/b", false},
      {"a#", false},
      {"a/b#", false},
      {"##", false},
      {"a/#/", false},
      {"\xC0\xAF", false},
      {"a\0"s, false},
      {std::string(65535, 'x'), true},
      {std::string(65536, 'x'), false},
      // Shared subscriptions.
      {"$share/g/a", true},
      {"$share/g/#", true},
      {"$share/g/+/b", true},
      {"$share/group-1/a/b/c", true},
      {"$share/g//", true},
      {"$share//a", false},
      {"$share/g", false},
      {"$share/g/", false},
      {"$share/g+/a", false},
      {"$share/+/a", false},
      {"$share/#/a", false},
      {"$share/g#/a", false},
      {"$share/g/a+", false},
      {"$share/g/#/a", false},
      {"$share", true},     // an ordinary one-level filter
      {"$sharex/a", true},  // not the shared prefix
      {"$share/", false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(valid_topic_filter(r.filter), r.valid) << "filter: " << r.filter.substr(0, 40);
}
