#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/text/encoding.hpp"

namespace {

using geo::text::Decoder;

// 陆家嘴 (Lujiazui) in GBK and in UTF-8.
const std::string lujiazui_gbk = "\xC2\xBD\xBC\xD2\xD7\xEC";
const std::string lujiazui_utf8 = "\xE9\x99\x86\xE5\xAE\xB6\xE5\x98\xB4";

TEST(TextEncoding, ValidUtf8IsAccepted) {
    for (const std::string& s :
         {std::string(), std::string("plain ASCII"), lujiazui_utf8, std::string("Caf\xC3\xA9"),
          std::string("\xF0\x9F\x97\xBA"),  // U+1F5FA
          std::string("\xF4\x8F\xBF\xBF"),  // U+10FFFF
          std::string("\xEF\xBF\xBD"), std::string("a\0b", 3)}) {
        EXPECT_TRUE(geo::text::is_valid_utf8(s)) << testing::PrintToString(s);
    }
}

TEST(TextEncoding, MalformedUtf8IsRejected) {
    const std::vector<std::string> cases = {
        "\xC0\xAF",          // overlong '/'
        "\xC1\xBF",          // overlong
        "\xE0\x80\xAF",      // overlong, three bytes
        "\xF0\x80\x80\xAF",  // overlong, four bytes
        "\xED\xA0\x80",      // surrogate U+D800
        "\xED\xBF\xBF",      // surrogate U+DFFF
        "\xF4\x90\x80\x80",  // U+110000
        "\xF5\x80\x80\x80",  // lead byte past U+10FFFF
        "\xFF",              // never valid
        "\x80",              // lone continuation
        "\xE5\x90",          // truncated 名
        "abc\xE5",           // truncated at the end
        "\xE5\x41\x8D",      // continuation replaced by ASCII
        lujiazui_gbk,
    };
    for (const auto& s : cases) {
        EXPECT_FALSE(geo::text::is_valid_utf8(s)) << testing::PrintToString(s);
    }
}

TEST(TextEncoding, CutUtf8NameIsRepaired) {
    const std::string name = "\xE5\x90\x8D\xE7\xA7\xB0";  // 名称
    const std::string ming = "\xE5\x90\x8D";              // 名
    EXPECT_EQ(geo::text::trim_cut_utf8(name.substr(0, 4)), ming);
    EXPECT_EQ(geo::text::trim_cut_utf8(name.substr(0, 5)), ming);
    EXPECT_EQ(geo::text::trim_cut_utf8(name), name);
    EXPECT_EQ(geo::text::trim_cut_utf8("NAME_"), "NAME_");
    EXPECT_EQ(geo::text::trim_cut_utf8("\xF0\x9F\x97"), "");
    EXPECT_EQ(geo::text::trim_cut_utf8(""), "");
    // Text that is not UTF-8 stays untouched, even when it ends in a byte that could start
    // a UTF-8 sequence (EC).
    EXPECT_EQ(geo::text::trim_cut_utf8(lujiazui_gbk), lujiazui_gbk);
    EXPECT_EQ(geo::text::trim_cut_utf8("ab\x80"), "ab\x80");
}

// What an error message may quote of a user's bytes: UTF-8 as it is, the rest escaped, short.
TEST(TextEncoding, PrintableQuotesAnyBytesSafely) {
    using geo::text::printable;
    EXPECT_EQ(printable("buildings"), "buildings");
    EXPECT_EQ(printable("名称 = '陆家嘴'"), "名称 = '陆家嘴'");
    EXPECT_EQ(printable(std::string("a\x00" "b\x1f\x7f", 5)), "a\\x00b\\x1F\\x7F");
    EXPECT_EQ(printable("\xff\xfe"), "\\xFF\\xFE");
    EXPECT_EQ(printable("\xe4\xb8"), "\\xE4\\xB8") << "a cut sequence";
    EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80") << "a surrogate";
    // GBK 陆家嘴 starts with C2 BD, which happens to be UTF-8 for ½.
    EXPECT_EQ(printable(lujiazui_gbk), "½\\xBC\\xD2\\xD7\\xEC");
    EXPECT_EQ(printable(std::string(100, 'a')), std::string(64, 'a') + "…");
    EXPECT_EQ(printable("陆家嘴", 7), "陆家…") << "cut after whole characters";
    EXPECT_EQ(printable("陆家嘴", 9), "陆家嘴");
    EXPECT_EQ(printable(std::string(100, '\xff'), 10), "\\xFF\\xFF…") << "the escapes count";
    EXPECT_EQ(printable("abc", 3), "abc");
    EXPECT_EQ(printable(""), "");
    std::string all_bytes;
    for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
    const std::string quoted = printable(all_bytes, all_bytes.size());
    EXPECT_TRUE(geo::text::is_valid_utf8(quoted));
    EXPECT_EQ(quoted.find_first_of(std::string("\x00\x01\n\r\x7f", 5)), std::string::npos);
}

TEST(TextEncoding, CanonicalNames) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"936", "GB18030"},       {"CP936", "GB18030"},        {"cp936", "GB18030"},
        {"GBK", "GB18030"},       {"gb2312", "GB18030"},       {"GB18030", "GB18030"},
        {"UTF-8", "UTF-8"},       {"utf8", "UTF-8"},           {"65001", "UTF-8"},
        {"1252", "CP1252"},       {"CP1252", "CP1252"},        {"ANSI 1252", "CP1252"},
        {"8859_1", "ISO-8859-1"}, {"88591", "ISO-8859-1"},     {"ISO-8859-1", "ISO-8859-1"},
        {"latin1", "ISO-8859-1"}, {"iso8859-2", "ISO-8859-2"}, {"950", "BIG5"},
        {"big5", "BIG5"},         {"1251", "CP1251"},          {"shift_jis", "SHIFT_JIS"},
        {"  CP936 ", "GB18030"},  {"LDID/77", "GB18030"},      {"koi8-r", "KOI8-R"},
    };
    for (const auto& [name, expected] : cases) {
        EXPECT_EQ(geo::text::canonical_encoding(name), expected) << name;
    }
    for (const char* name :
         {"", "no-such-encoding", "UTF-8//TRANSLIT", "System", "ANSI", "12345678"}) {
        EXPECT_EQ(geo::text::canonical_encoding(name), std::nullopt) << name;
    }
}

TEST(TextEncoding, CpgContents) {
    EXPECT_EQ(geo::text::encoding_from_cpg("CP936"), "GB18030");
    EXPECT_EQ(geo::text::encoding_from_cpg("936\n"), "GB18030");
    EXPECT_EQ(geo::text::encoding_from_cpg("\xEF\xBB\xBFUTF-8"), "UTF-8");
    EXPECT_EQ(geo::text::encoding_from_cpg("\xEF\xBB\xBF UTF-8\r\n"), "UTF-8");
    EXPECT_EQ(geo::text::encoding_from_cpg("ANSI 1252\r\n"), "CP1252");
    EXPECT_EQ(geo::text::encoding_from_cpg(std::string("88591\0\0\0", 8)), "ISO-8859-1");
    EXPECT_EQ(geo::text::encoding_from_cpg(""), std::nullopt);
    EXPECT_EQ(geo::text::encoding_from_cpg("  \n"), std::nullopt);
    EXPECT_EQ(geo::text::encoding_from_cpg("garbage that names nothing"), std::nullopt);
}

TEST(TextEncoding, LanguageDriverIds) {
    const std::vector<std::pair<unsigned char, std::optional<std::string>>> cases = {
        {0x00, std::nullopt}, {0x01, "CP437"},  {0x02, "CP850"},      {0x03, "CP1252"},
        {0x13, "CP932"},      {0x26, "CP866"},  {0x4D, "GB18030"},    {0x4E, "CP949"},
        {0x4F, "BIG5"},       {0x50, "CP874"},  {0x57, std::nullopt}, {0x58, "CP1252"},
        {0x64, "CP852"},      {0x65, "CP866"},  {0x78, "BIG5"},       {0x79, "CP949"},
        {0x7A, "GB18030"},    {0x7B, "CP932"},  {0xC8, "CP1250"},     {0xC9, "CP1251"},
        {0xCA, "CP1254"},     {0xCB, "CP1253"}, {0xCC, "CP1257"},     {0xFF, std::nullopt},
    };
    for (const auto& [ldid, expected] : cases) {
        EXPECT_EQ(geo::text::encoding_from_ldid(ldid), expected) << "LDID " << int(ldid);
    }
}

TEST(TextEncoding, DecodesGbk) {
    Decoder decoder("GB18030");
    EXPECT_EQ(decoder.encoding(), "GB18030");
    EXPECT_EQ(decoder.decode(lujiazui_gbk), lujiazui_utf8);
    EXPECT_EQ(decoder.decode("No. 1 " + lujiazui_gbk), "No. 1 " + lujiazui_utf8);
    EXPECT_EQ(decoder.decode(""), "");
    // A four-byte GB18030 sequence: U+20000 𠀀 (outside GBK).
    EXPECT_EQ(decoder.decode("\x95\x32\x82\x36"), "\xF0\xA0\x80\x80");
}

TEST(TextEncoding, DecoderRejectsInvalidBytes) {
    Decoder decoder("GB18030");
    EXPECT_EQ(decoder.decode("\xFF\xFF"), std::nullopt);
    EXPECT_EQ(decoder.decode(lujiazui_gbk.substr(0, 5)), std::nullopt);  // cut in a character
    // A failure leaves no state behind.
    EXPECT_EQ(decoder.decode(lujiazui_gbk), lujiazui_utf8);
}

TEST(TextEncoding, DecoderHandlesNulsAndLongText) {
    Decoder decoder("GB18030");
    const std::string with_nul = lujiazui_gbk + std::string("\0", 1) + lujiazui_gbk;
    EXPECT_EQ(decoder.decode(with_nul), lujiazui_utf8 + std::string("\0", 1) + lujiazui_utf8);

    std::string long_gbk;
    std::string long_utf8;
    for (int i = 0; i < 20000; ++i) {
        long_gbk += lujiazui_gbk + "-";
        long_utf8 += lujiazui_utf8 + "-";
    }
    EXPECT_EQ(decoder.decode(long_gbk), long_utf8);
}

TEST(TextEncoding, Utf8DecoderValidates) {
    Decoder decoder("UTF-8");
    EXPECT_EQ(decoder.decode(lujiazui_utf8), lujiazui_utf8);
    EXPECT_EQ(decoder.decode(lujiazui_gbk), std::nullopt);
    EXPECT_EQ(decoder.decode("\xED\xA0\x80"), std::nullopt);
}

TEST(TextEncoding, SingleByteDecoders) {
    EXPECT_EQ(Decoder("CP1252").decode("Caf\xE9 \x80"), "Caf\xC3\xA9 \xE2\x82\xAC");  // Café €
    EXPECT_EQ(Decoder("ISO-8859-1").decode("Caf\xE9"), "Caf\xC3\xA9");
    EXPECT_EQ(Decoder("CP1251").decode("\xCC\xEE\xF1\xEA\xE2\xE0"),
              "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");  // Москва
}

TEST(TextEncoding, UnknownEncodingThrows) {
    try {
        Decoder decoder("NO-SUCH-ENCODING");
        FAIL() << "expected geo::Error";
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("NO-SUCH-ENCODING"), std::string::npos);
    }
    EXPECT_THROW(Decoder("UTF-8//TRANSLIT"), geo::Error);
}

TEST(TextEncoding, DetectsUtf8) {
    const std::vector<std::string> samples = {"Century Avenue", lujiazui_utf8, ""};
    const auto detected = geo::text::detect_encoding(samples);
    EXPECT_EQ(detected.encoding, "UTF-8");
    EXPECT_TRUE(detected.certain);

    const std::vector<std::string> ascii = {"1", "2", "abc"};
    EXPECT_EQ(geo::text::detect_encoding(ascii).encoding, "UTF-8");
}

TEST(TextEncoding, DetectsGbk) {
    // 东方明珠, 陆家嘴, 上海中心大厦 in GBK, and one ASCII value.
    const std::vector<std::string> samples = {"\xB6\xAB\xB7\xBD\xC3\xF7\xD6\xE9", lujiazui_gbk,
                                              "\xC9\xCF\xBA\xA3\xD6\xD0\xD0\xC4\xB4\xF3\xCF\xC3",
                                              "Tower 2"};
    const auto detected = geo::text::detect_encoding(samples);
    EXPECT_EQ(detected.encoding, "GB18030");
    EXPECT_TRUE(detected.certain);
}

TEST(TextEncoding, DetectsLatin1AsUncertainCp1252) {
    const std::vector<std::string> cafe = {"Caf\xE9", "Boulangerie"};
    auto detected = geo::text::detect_encoding(cafe);
    EXPECT_EQ(detected.encoding, "CP1252");
    EXPECT_FALSE(detected.certain);

    // Decodes as GBK (E8 6D, FB 6C, E9 65 are GBK codes) but is no Chinese text.
    const std::vector<std::string> creme = {"Cr\xE8me br\xFBl\xE9\x65"};
    detected = geo::text::detect_encoding(creme);
    EXPECT_EQ(detected.encoding, "CP1252");
    EXPECT_FALSE(detected.certain);
}

TEST(TextEncoding, BytesUndefinedInCp1252FallBackToLatin1) {
    const std::vector<std::string> samples = {"Caf\xE9", "x\x81y"};
    const auto detected = geo::text::detect_encoding(samples);
    EXPECT_EQ(detected.encoding, "ISO-8859-1");
    EXPECT_FALSE(detected.certain);
}

}  // namespace
