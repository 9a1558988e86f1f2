// Deterministic sample corpus generator (see corpus_generator.hpp).
//
// Layout of one document i:
//   header stream (seed, i, 1): quality class, language, domain, type, topic,
//     court/authority/law, date, file number; cheap, so citations and
//     near-duplicates can look at other documents' headers.
//   content stream (seed, i, 2): the text.
//   citation stream (seed, i, 3): cited documents (all < i).
//   edit stream (seed, i, 4): small edits that turn a base text into a
//     near-duplicate.
//   metadata stream (seed, i, 5): pages, blanked metadata of low-quality docs.
// Every decision is an integer draw from splitmix64, so the output is the
// same on every platform.
//
// The word tables (names, nouns, sentence templates ...) are data, kept apart
// in corpus_words.inc; this file is the code that draws from them.
#include "corpus_generator.hpp"

#include "jsonl.hpp"

#include <charconv>
#include <cstring>
#include <iterator>
#include <ostream>

namespace clara {
namespace {

// ---------------------------------------------------------------------------
// PRNG

inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

inline uint64_t stream_seed(uint64_t seed, uint64_t index, uint64_t stream) {
    return mix64(mix64(seed + 0x632be59bd9b4e019ULL) ^ (index * 0x9e3779b97f4a7c15ULL) ^
                 (stream * 0xd6e8feb86659fd93ULL));
}

struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() { return mix64(s += 0x9e3779b97f4a7c15ULL); }
    // Uniform in [0, n), n < 2^32 (multiply-shift, no modulo bias worth noting).
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }
    // Uniform in [lo, hi].
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
    bool permille(uint32_t p) { return below(1000) < p; }
    uint64_t below64(uint64_t n) { return n == 0 ? 0 : next() % n; }
};

template <class T>
struct Span {
    const T *p;
    uint32_t n;
    const T &operator[](uint32_t i) const { return p[i]; }
    const T &pick(Rng &r) const { return p[r.below(n)]; }
};
template <class T, std::size_t N>
constexpr Span<T> span_of(const T (&a)[N]) {
    return Span<T>{a, static_cast<uint32_t>(N)};
}
using Strs = Span<const char *>;

// Weighted pick: weights are small integers.
template <std::size_t N>
uint32_t weighted(Rng &r, const uint16_t (&w)[N]) {
    uint32_t total = 0;
    for (uint16_t x : w) total += x;
    uint32_t v = r.below(total);
    for (uint32_t i = 0; i < N; ++i) {
        if (v < w[i]) return i;
        v -= w[i];
    }
    return N - 1;
}

// ---------------------------------------------------------------------------
// Small string helpers

inline void put(std::string &o, const char *s) { o.append(s); }
inline void put(std::string &o, std::string_view s) { o.append(s.data(), s.size()); }

void put_uint(std::string &o, uint64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    o.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

void put_uint_pad(std::string &o, uint64_t v, int width) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    int len = static_cast<int>(res.ptr - buf);
    for (int i = len; i < width; ++i) o.push_back('0');
    o.append(buf, static_cast<std::size_t>(len));
}

void put_int(std::string &o, int64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    o.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

struct Date {
    int y, m, d;
};

// ---------------------------------------------------------------------------
// Vocabulary: the types of the word tables in corpus_words.inc

// A German noun: gender ('m', 'f', 'n') and genitive singular (nullptr: same).
struct Noun {
    const char *base;
    char g;
    const char *gen;
};

const char *art_nom(char g) { return g == 'm' ? "der " : g == 'f' ? "die " : "das "; }
const char *art_nom_cap(char g) { return g == 'm' ? "Der " : g == 'f' ? "Die " : "Das "; }
const char *art_acc(char g) { return g == 'm' ? "den " : g == 'f' ? "die " : "das "; }
const char *art_dat(char g) { return g == 'f' ? "der " : "dem "; }
const char *art_gen(char g) { return g == 'f' ? "der " : "des "; }
const char *gen_form(const Noun &n) { return n.gen ? n.gen : n.base; }

// The subject of one document.
struct Topic {
    const char *nom;  // without article
    char g;
    const char *gen;  // genitive without article (nullptr: same as nom)
};
const char *topic_gen(const Topic &t) { return t.gen ? t.gen : t.nom; }

// A law or ordinance (the documents of type gesetz / verordnung).
struct Law {
    const char *name;
    const char *source;
    bool verordnung;
};

struct Authority {
    const char *name;  // metadata "behoerde"
    const char *nom;   // with article
    const char *dat;
    const char *source;
};

// A court; its kind decides the format of its file numbers.
enum CourtKind : uint8_t { C_BVERWG, C_OVG, C_VGH_BW, C_BAYVGH, C_VG };
struct Court {
    const char *name;
    const char *source;
    CourtKind kind;
};

// An EU act the English summaries are about.
struct EnAct {
    const char *title;
    const char *celex;
};

// The tables themselves (kNouns*, kTopics*, kSent*, kCourts, ...).
#include "corpus_words.inc"

Date random_date(Rng &r, int y_lo, int y_hi) {
    Date t;
    t.y = static_cast<int>(r.range(static_cast<uint32_t>(y_lo), static_cast<uint32_t>(y_hi)));
    t.m = static_cast<int>(r.range(1, 12));
    t.d = static_cast<int>(r.range(1, static_cast<uint32_t>(days_in_month(t.y, t.m))));
    return t;
}

void put_date_long_de(std::string &o, const Date &t) {  // 14. März 2019
    put_uint(o, static_cast<uint64_t>(t.d));
    put(o, ". ");
    put(o, kMonthsDe[t.m - 1]);
    o.push_back(' ');
    put_uint(o, static_cast<uint64_t>(t.y));
}
void put_date_short_de(std::string &o, const Date &t) {  // 14.03.2019
    put_uint_pad(o, static_cast<uint64_t>(t.d), 2);
    o.push_back('.');
    put_uint_pad(o, static_cast<uint64_t>(t.m), 2);
    o.push_back('.');
    put_uint(o, static_cast<uint64_t>(t.y));
}
void put_date_en(std::string &o, const Date &t) {  // 14 March 2019
    put_uint(o, static_cast<uint64_t>(t.d));
    o.push_back(' ');
    put(o, kMonthsEn[t.m - 1]);
    o.push_back(' ');
    put_uint(o, static_cast<uint64_t>(t.y));
}

// --- Domains ---------------------------------------------------------------
struct Domain {
    const char *id;
    const char *label;      // "Baurecht" (neuter: "im Baurecht")
    const char *label_gen;  // "Baurechts"
    Span<Noun> nouns;
    Span<Topic> topics;
    Strs norms;
    Strs measures;
    Strs sentences;
    Span<Law> laws;
    Span<uint8_t> auths;
    uint8_t related[2];
    Span<EnAct> en_acts;  // may be empty
    Strs en_terms;
};
enum DomainId : uint8_t { D_VERWALTUNG, D_BAU, D_UMWELT, D_ENERGIE, D_PLANUNG, D_DENKMAL, D_WASSER, D_KOMMUNAL };
const Span<EnAct> kNoActs{nullptr, 0};
const Strs kNoTerms{nullptr, 0};

const Domain kDomains[] = {
    {"verwaltungsrecht",
     "Verwaltungsrecht",
     "Verwaltungsrechts",
     span_of(kNounsVerwaltung),
     span_of(kTopicsVerwaltung),
     span_of(kNormsVerwaltung),
     span_of(kMeasuresVerwaltung),
     span_of(kSentVerwaltung),
     span_of(kLawsVerwaltung),
     span_of(kAuthVerwaltung),
     {D_KOMMUNAL, D_BAU},
     span_of(kEnActsVerwaltung),
     span_of(kEnTermsVerwaltung)},
    {"baurecht",
     "Baurecht",
     "Baurechts",
     span_of(kNounsBau),
     span_of(kTopicsBau),
     span_of(kNormsBau),
     span_of(kMeasuresBau),
     span_of(kSentBau),
     span_of(kLawsBau),
     span_of(kAuthBau),
     {D_DENKMAL, D_ENERGIE},
     span_of(kEnActsBau),
     span_of(kEnTermsBau)},
    {"umweltrecht",
     "Umweltrecht",
     "Umweltrechts",
     span_of(kNounsUmwelt),
     span_of(kTopicsUmwelt),
     span_of(kNormsUmwelt),
     span_of(kMeasuresUmwelt),
     span_of(kSentUmwelt),
     span_of(kLawsUmwelt),
     span_of(kAuthUmwelt),
     {D_ENERGIE, D_WASSER},
     span_of(kEnActsUmwelt),
     span_of(kEnTermsUmwelt)},
    {"energierecht",
     "Energierecht",
     "Energierechts",
     span_of(kNounsEnergie),
     span_of(kTopicsEnergie),
     span_of(kNormsEnergie),
     span_of(kMeasuresEnergie),
     span_of(kSentEnergie),
     span_of(kLawsEnergie),
     span_of(kAuthEnergie),
     {D_BAU, D_UMWELT},
     span_of(kEnActsEnergie),
     span_of(kEnTermsEnergie)},
    {"planungsrecht",
     "Planungsrecht",
     "Planungsrechts",
     span_of(kNounsPlanung),
     span_of(kTopicsPlanung),
     span_of(kNormsPlanung),
     span_of(kMeasuresPlanung),
     span_of(kSentPlanung),
     span_of(kLawsPlanung),
     span_of(kAuthPlanung),
     {D_BAU, D_ENERGIE},
     kNoActs,
     kNoTerms},
    {"denkmalschutzrecht",
     "Denkmalschutzrecht",
     "Denkmalschutzrechts",
     span_of(kNounsDenkmal),
     span_of(kTopicsDenkmal),
     span_of(kNormsDenkmal),
     span_of(kMeasuresDenkmal),
     span_of(kSentDenkmal),
     span_of(kLawsDenkmal),
     span_of(kAuthDenkmal),
     {D_BAU, D_ENERGIE},
     kNoActs,
     kNoTerms},
    {"wasserrecht",
     "Wasserrecht",
     "Wasserrechts",
     span_of(kNounsWasser),
     span_of(kTopicsWasser),
     span_of(kNormsWasser),
     span_of(kMeasuresWasser),
     span_of(kSentWasser),
     span_of(kLawsWasser),
     span_of(kAuthWasser),
     {D_UMWELT, D_BAU},
     span_of(kEnActsWasser),
     span_of(kEnTermsWasser)},
    {"kommunalrecht",
     "Kommunalrecht",
     "Kommunalrechts",
     span_of(kNounsKommunal),
     span_of(kTopicsKommunal),
     span_of(kNormsKommunal),
     span_of(kMeasuresKommunal),
     span_of(kSentKommunal),
     span_of(kLawsKommunal),
     span_of(kAuthKommunal),
     {D_VERWALTUNG, D_ENERGIE},
     kNoActs,
     kNoTerms},
};
const uint16_t kDomainWeights[] = {18, 20, 15, 17, 8, 7, 7, 8};
// English documents: only domains with EU acts.
const uint8_t kEnDomains[] = {D_ENERGIE, D_UMWELT, D_BAU, D_WASSER, D_VERWALTUNG};
const uint16_t kEnDomainWeights[] = {35, 30, 15, 10, 10};

enum TypeId : uint8_t {
    T_URTEIL,
    T_BESCHLUSS,
    T_GESETZ,
    T_VERORDNUNG,
    T_BESCHEID,
    T_KOMMENTAR,
    T_MERKBLATT,
    T_RICHTLINIE
};
const char *const kTypeNames[] = {"urteil",   "beschluss", "gesetz",    "verordnung",
                                  "bescheid", "kommentar", "merkblatt", "richtlinie"};
// German types (richtlinie = English EU directive summary only).
const uint16_t kTypeWeights[] = {24, 12, 8, 5, 20, 14, 17};

// Quality classes, per mille.
constexpr uint32_t kGoodPm = 750, kBoilerPm = 80, kNearDupPm = 70, kStubPm = 50;  // garbage: the rest (50)
constexpr uint32_t kEnglishPm = 50;

// ---------------------------------------------------------------------------
// Header: the cheap, structured part of a document.

struct Header {
    uint64_t index = 0;
    DocQuality q = DocQuality::good;
    bool en = false;
    uint8_t domain = 0, type = 0;
    uint16_t topic = 0, court = 0, auth = 0, law = 0, norm = 0, place = 0, kom_source = 0;
    Date date{2000, 1, 1};
    uint8_t hour = 0, minute = 0, second = 0;
    uint32_t az1 = 0, az2 = 0, az3 = 0;
    uint8_t title_variant = 0, dup_variant = 0;
    uint64_t base = 0;  // near-duplicate: index of the base document
};

DocQuality quality_draw(uint64_t seed, uint64_t index) {
    Rng r(stream_seed(seed, index, 1));
    uint32_t u = r.below(1000);
    if (u < kGoodPm) return DocQuality::good;
    u -= kGoodPm;
    if (u < kBoilerPm) return DocQuality::boilerplate;
    u -= kBoilerPm;
    if (u < kNearDupPm) return DocQuality::near_duplicate;
    u -= kNearDupPm;
    if (u < kStubPm) return DocQuality::stub;
    return DocQuality::garbage;
}

Header make_header(uint64_t seed, uint64_t index) {
    Header h;
    h.index = index;
    Rng r(stream_seed(seed, index, 1));
    h.q = quality_draw(seed, index);
    r.next();  // the quality draw
    h.en = r.below(1000) < kEnglishPm;
    if (h.en) {
        h.domain = kEnDomains[weighted(r, kEnDomainWeights)];
        h.type = T_RICHTLINIE;
        h.topic = static_cast<uint16_t>(r.below(kDomains[h.domain].en_acts.n));
    } else {
        h.domain = static_cast<uint8_t>(weighted(r, kDomainWeights));
        h.type = static_cast<uint8_t>(weighted(r, kTypeWeights));
        h.topic = static_cast<uint16_t>(r.below(kDomains[h.domain].topics.n));
    }
    const Domain &d = kDomains[h.domain];
    h.court = static_cast<uint16_t>(weighted(r, kCourtWeights));
    h.auth = d.auths[r.below(d.auths.n)];
    // Laws matching the type (gesetz / verordnung); every domain has both.
    {
        bool want_vo = h.type == T_VERORDNUNG;
        uint32_t matching = 0;
        for (uint32_t i = 0; i < d.laws.n; ++i) matching += d.laws[i].verordnung == want_vo;
        uint32_t k = r.below(matching);
        for (uint32_t i = 0; i < d.laws.n; ++i) {
            if (d.laws[i].verordnung != want_vo) continue;
            if (k-- == 0) {
                h.law = static_cast<uint16_t>(i);
                break;
            }
        }
    }
    h.norm = static_cast<uint16_t>(r.below(d.norms.n));
    h.place = static_cast<uint16_t>(r.below(static_cast<uint32_t>(std::size(kPlaces))));
    h.kom_source = static_cast<uint16_t>(r.below(1000));
    // Skewed towards recent years: max of two uniform draws.
    uint32_t y1 = r.below(26), y2 = r.below(26);
    h.date.y = 2000 + static_cast<int>(y1 > y2 ? y1 : y2);
    h.date.m = static_cast<int>(r.range(1, 12));
    h.date.d = static_cast<int>(r.range(1, static_cast<uint32_t>(days_in_month(h.date.y, h.date.m))));
    h.hour = static_cast<uint8_t>(r.below(24));
    h.minute = static_cast<uint8_t>(r.below(60));
    h.second = static_cast<uint8_t>(r.below(60));
    h.az1 = static_cast<uint32_t>(r.next() >> 32);
    h.az2 = static_cast<uint32_t>(r.next() >> 32);
    h.az3 = static_cast<uint32_t>(r.next() >> 32);
    h.title_variant = static_cast<uint8_t>(r.below(4));
    h.dup_variant = static_cast<uint8_t>(r.below(4));

    if (h.q == DocQuality::near_duplicate) {
        // Base: the nearest good document at or below a uniformly drawn earlier index.
        uint64_t base = 0;
        if (index > 1) {
            uint64_t j0 = 1 + r.below64(index - 1);
            uint64_t stop = j0 > 64 ? j0 - 64 : 1;
            for (uint64_t j = j0; j >= stop; --j) {
                if (quality_draw(seed, j) == DocQuality::good) {
                    base = j;
                    break;
                }
                if (j == 1) break;
            }
        }
        if (base == 0) {
            h.q = DocQuality::good;
        } else {
            Header b = make_header(seed, base);  // a good document: no further recursion
            h.base = base;
            h.en = b.en;
            h.domain = b.domain;
            h.type = b.type;
            h.topic = b.topic;
            h.court = b.court;
            h.auth = b.auth;
            h.law = b.law;
            h.norm = b.norm;
            h.place = b.place;
            h.kom_source = b.kom_source;
            h.az1 = b.az1;
            h.az2 = b.az2;
            h.az3 = b.az3;
            h.title_variant = b.title_variant;
            h.date = b.date;  // same decision / act: same date, file number and title
        }
    }
    return h;
}

bool is_court_type(uint8_t t) { return t == T_URTEIL || t == T_BESCHLUSS; }

const char *source_of(const Header &h) {
    const Domain &d = kDomains[h.domain];
    switch (h.type) {
        case T_URTEIL:
        case T_BESCHLUSS: return kCourts[h.court].source;
        case T_GESETZ:
        case T_VERORDNUNG: return d.laws[h.law].source;
        case T_BESCHEID: return kAuthorities[h.auth].source;
        case T_KOMMENTAR: return kKommentarSources[h.kom_source % std::size(kKommentarSources)];
        case T_MERKBLATT:
            return h.kom_source % 3 == 0 ? kMerkblattSources[h.kom_source / 3 % std::size(kMerkblattSources)]
                                         : kAuthorities[h.auth].source;
        default: return "eur-lex";
    }
}

void put_aktenzeichen(std::string &o, const Header &h) {
    const int yy = h.date.y % 100;
    switch (h.type) {
        case T_URTEIL:
        case T_BESCHLUSS: {
            const bool urteil = h.type == T_URTEIL;
            switch (kCourts[h.court].kind) {
                case C_BVERWG:  // 4 C 12.19
                    put_uint(o, 1 + h.az1 % 10);
                    put(o, urteil ? " C " : " B ");
                    put_uint(o, 1 + h.az2 % 90);
                    o.push_back('.');
                    put_uint_pad(o, static_cast<uint64_t>(yy), 2);
                    break;
                case C_OVG:  // 7 A 2345/18
                    put_uint(o, 1 + h.az1 % 20);
                    put(o, urteil ? " A " : " B ");
                    put_uint(o, 1 + h.az2 % 3000);
                    o.push_back('/');
                    put_uint_pad(o, static_cast<uint64_t>(yy), 2);
                    break;
                case C_VGH_BW:  // 5 S 1234/20
                    put_uint(o, 1 + h.az1 % 12);
                    put(o, " S ");
                    put_uint(o, 1 + h.az2 % 3000);
                    o.push_back('/');
                    put_uint_pad(o, static_cast<uint64_t>(yy), 2);
                    break;
                case C_BAYVGH:  // 15 B 19.1234
                    put_uint(o, 1 + h.az1 % 22);
                    put(o, urteil ? " B " : " CS ");
                    put_uint_pad(o, static_cast<uint64_t>(yy), 2);
                    o.push_back('.');
                    put_uint(o, 1000 + h.az2 % 3000);
                    break;
                case C_VG:  // 3 K 1234/19
                    put_uint(o, 1 + h.az1 % 12);
                    put(o, urteil ? " K " : " L ");
                    put_uint(o, 100 + h.az2 % 5000);
                    o.push_back('/');
                    put_uint_pad(o, static_cast<uint64_t>(yy), 2);
                    break;
            }
            break;
        }
        case T_BESCHEID: {  // 63.2-01234/2021
            static const char *const kAmt[] = {"63.2", "61.1", "32.4", "70.3", "66.1"};
            put(o, kAmt[h.az1 % std::size(kAmt)]);
            o.push_back('-');
            put_uint_pad(o, h.az2 % 100000, 5);
            o.push_back('/');
            put_uint(o, static_cast<uint64_t>(h.date.y));
            break;
        }
        case T_RICHTLINIE: put(o, kDomains[h.domain].en_acts[h.topic].celex); break;
        default: break;  // gesetz, verordnung, kommentar, merkblatt: no file number
    }
}

const char *zu_art(char g) { return g == 'f' ? "zur " : "zum "; }

// Title of a (good) document from its header; quality-specific decoration added by the caller.
void put_title(std::string &o, const Header &h) {
    const Domain &d = kDomains[h.domain];
    if (h.en) {
        put(o, h.title_variant % 2 ? "Summary of " : "EU law summary: ");
        put(o, d.en_acts[h.topic].title);
        return;
    }
    const Topic &t = d.topics[h.topic];
    switch (h.type) {
        case T_URTEIL:
        case T_BESCHLUSS:
            if (h.title_variant < 2) {  // Urteil des VG Musterstadt zur Photovoltaikanlage auf einem Baudenkmal
                put(o, h.type == T_URTEIL ? "Urteil des " : "Beschluss des ");
                put(o, kCourts[h.court].name);
                o.push_back(' ');
                put(o, zu_art(t.g));
                put(o, t.nom);
            } else {  // VG Köln: Photovoltaikanlage auf einem Wohngebäude – Urteil vom 12.03.2019
                put(o, kCourts[h.court].name);
                put(o, ": ");
                put(o, t.nom);
                put(o, h.type == T_URTEIL ? " – Urteil vom " : " – Beschluss vom ");
                put_date_short_de(o, h.date);
            }
            break;
        case T_GESETZ:
        case T_VERORDNUNG: {
            put(o, d.laws[h.law].name);
            put(o, ", §§ ");
            uint32_t first = 1 + h.az1 % 60;
            put_uint(o, first);
            put(o, "–");
            put_uint(o, first + 2 + h.az2 % 5);
            put(o, " (Fassung vom ");
            put_date_short_de(o, h.date);
            o.push_back(')');
            break;
        }
        case T_BESCHEID:
            put(o, "Bescheid ");
            put(o, kAuthorities[h.auth].dat);
            o.push_back(' ');
            put(o, zu_art(t.g));
            put(o, t.nom);
            break;
        case T_KOMMENTAR:
            if (h.title_variant < 2) {
                put(o, "Kommentar zu ");
                put(o, d.norms[h.norm]);
                put(o, ": ");
                put(o, t.nom);
            } else {
                put(o, "Anmerkung ");
                put(o, zu_art(t.g));
                put(o, t.nom);
                put(o, " im ");
                put(o, d.label);
            }
            break;
        default:  // merkblatt
            if (h.title_variant < 2) {
                put(o, "Merkblatt: ");
                put(o, t.nom);
            } else {
                put(o, "Leitfaden ");
                put(o, zu_art(t.g));
                put(o, t.nom);
            }
            break;
    }
}

// Human-readable reference to a cited document, used in the text.
void put_reference(std::string &o, const Header &h) {
    if (!h.en && is_court_type(h.type)) {  // BVerwG, Urteil vom 12.03.2019 – 4 C 12.19
        put(o, kCourts[h.court].name);
        put(o, h.type == T_URTEIL ? ", Urteil vom " : ", Beschluss vom ");
        put_date_short_de(o, h.date);
        put(o, " – ");
        put_aktenzeichen(o, h);
    } else {
        put_title(o, h);
    }
}

// ---------------------------------------------------------------------------
// Text generation

struct Ctx {
    Rng r;
    const Header &h;
    const Domain &dom;
    const std::vector<std::string> &refs;  // references of cited documents
    uint32_t refs_used = 0;                // bit i: refs[i] appeared in the text
    uint32_t next_ref = 0;
    // Recently used templates: avoided, so a text rarely repeats a sentence.
    static constexpr uint32_t kRecent = 32;
    const char *recent[kRecent] = {};
    uint32_t recent_pos = 0;

    Ctx(uint64_t seed, const Header &hh, const std::vector<std::string> &rr)
        : r(seed), h(hh), dom(kDomains[hh.domain]), refs(rr) {}

    const Noun &domain_noun() {
        // 75 % own domain, 25 % a related domain: topics overlap (PV on monuments...).
        if (r.below(4) != 0) return dom.nouns.pick(r);
        return kDomains[dom.related[r.below(2)]].nouns.pick(r);
    }
    const Noun &general_noun() {
        // Administrative-procedure vocabulary, shared by all domains.
        if (r.below(3) != 0) return kDomains[D_VERWALTUNG].nouns.pick(r);
        return domain_noun();
    }
    const Topic &topic() const { return dom.topics[h.topic]; }
    Date near_date() { return random_date(r, h.date.y > 2002 ? h.date.y - 2 : 2000, h.date.y); }

    const char *pick_template(Strs pool) {
        const char *t = pool.pick(r);
        for (uint32_t attempt = 0; attempt < 10; ++attempt) {
            bool seen = false;
            for (const char *x : recent) seen |= x == t;
            if (!seen) break;
            t = pool.pick(r);
        }
        recent[recent_pos++ % kRecent] = t;
        return t;
    }
};

void put_citation(std::string &o, Ctx &c) {
    put(o, "vgl. ");
    if (!c.refs.empty()) {
        uint32_t i = c.next_ref++ % static_cast<uint32_t>(c.refs.size());
        c.refs_used |= 1u << i;
        put(o, c.refs[i]);
        return;
    }
    // No cited document: a plausible reference to some decision outside the corpus.
    Header f;
    f.type = c.r.below(3) ? T_URTEIL : T_BESCHLUSS;
    f.court = static_cast<uint16_t>(c.r.below(static_cast<uint32_t>(std::size(kCourts))));
    f.date = random_date(c.r, 1995, c.h.date.y);
    f.az1 = static_cast<uint32_t>(c.r.next() >> 32);
    f.az2 = static_cast<uint32_t>(c.r.next() >> 32);
    put_reference(o, f);
}

// Expands a sentence template. Slots:
//   $n $d $g $N  domain noun with article: nominative, dative, genitive, capitalised nominative
//   $k           domain noun, bare
//   $a $b $c $A  general (procedure) noun: nom, dat, gen, capitalised nom
//   $T $t $u $U $V  the document's topic: nom, dat, gen, capitalised nom, accusative
//   $B $E $W     authority: nominative, dative, capitalised nominative
//   $P norm   $M measure   $O place   $D date (long)   $Q date (short)   $Y year
//   $Z number 2..40   $z number 2..6   $J judgement adjective   $R domain label   $S its genitive
//   $C citation of a cited document   $e English term   $F English date
void expand(std::string &o, Ctx &c, const char *tpl) {
    const char *p = tpl;
    for (;;) {
        const char *dollar = std::strchr(p, '$');
        if (!dollar) {
            o.append(p);
            return;
        }
        o.append(p, static_cast<std::size_t>(dollar - p));
        const char slot = dollar[1];
        p = dollar + 2;
        switch (slot) {
            case 'n': {
                const Noun &n = c.domain_noun();
                put(o, art_nom(n.g));
                put(o, n.base);
                break;
            }
            case 'N': {
                const Noun &n = c.domain_noun();
                put(o, art_nom_cap(n.g));
                put(o, n.base);
                break;
            }
            case 'd': {
                const Noun &n = c.domain_noun();
                put(o, art_dat(n.g));
                put(o, n.base);
                break;
            }
            case 'g': {
                const Noun &n = c.domain_noun();
                put(o, art_gen(n.g));
                put(o, gen_form(n));
                break;
            }
            case 'k': put(o, c.domain_noun().base); break;
            case 'a': {
                const Noun &n = c.general_noun();
                put(o, art_nom(n.g));
                put(o, n.base);
                break;
            }
            case 'A': {
                const Noun &n = c.general_noun();
                put(o, art_nom_cap(n.g));
                put(o, n.base);
                break;
            }
            case 'b': {
                const Noun &n = c.general_noun();
                put(o, art_dat(n.g));
                put(o, n.base);
                break;
            }
            case 'c': {
                const Noun &n = c.general_noun();
                put(o, art_gen(n.g));
                put(o, gen_form(n));
                break;
            }
            case 'T':
                put(o, art_nom(c.topic().g));
                put(o, c.topic().nom);
                break;
            case 'U':
                put(o, art_nom_cap(c.topic().g));
                put(o, c.topic().nom);
                break;
            case 't':
                put(o, art_dat(c.topic().g));
                put(o, c.topic().nom);
                break;
            case 'u':
                put(o, art_gen(c.topic().g));
                put(o, topic_gen(c.topic()));
                break;
            case 'V':
                put(o, art_acc(c.topic().g));
                put(o, c.topic().nom);
                break;
            case 'B': put(o, kAuthorities[c.h.auth].nom); break;
            case 'W': {  // capitalised nominative: "Die Stadt ..."
                const char *a = kAuthorities[c.h.auth].nom;
                o.push_back(static_cast<char>(a[0] - 'a' + 'A'));
                put(o, a + 1);
                break;
            }
            case 'E': put(o, kAuthorities[c.h.auth].dat); break;
            case 'P': put(o, c.dom.norms.pick(c.r)); break;
            case 'M': put(o, c.dom.measures.pick(c.r)); break;
            case 'O': put(o, kPlaces[c.r.below(static_cast<uint32_t>(std::size(kPlaces)))]); break;
            case 'D': put_date_long_de(o, c.near_date()); break;
            case 'Q': put_date_short_de(o, c.near_date()); break;
            case 'F': put_date_en(o, c.near_date()); break;
            case 'Y': put_uint(o, static_cast<uint64_t>(c.h.date.y) - c.r.below(6)); break;
            case 'Z': put_uint(o, c.r.range(2, 40)); break;
            case 'z': put_uint(o, c.r.range(2, 6)); break;
            case 'J': put(o, kJudgements[c.r.below(static_cast<uint32_t>(std::size(kJudgements)))]); break;
            case 'R': put(o, c.dom.label); break;
            case 'S': put(o, c.dom.label_gen); break;
            case 'C': put_citation(o, c); break;
            case 'e': put(o, c.dom.en_terms.n ? c.dom.en_terms.pick(c.r) : "administrative procedures"); break;
            default:
                o.push_back('$');
                o.push_back(slot);
                break;
        }
    }
}

void pick_expand(std::string &o, Ctx &c, Strs pool) { expand(o, c, c.pick_template(pool)); }

// A paragraph of n sentences from weighted pools: general, domain, topic, type-specific.
void paragraph(std::string &o, Ctx &c, uint32_t n, Strs typed, uint32_t typed_pm) {
    for (uint32_t i = 0; i < n; ++i) {
        if (i) o.push_back(' ');
        uint32_t u = c.r.below(1000);
        if (typed.n && u < typed_pm) {
            pick_expand(o, c, typed);
        } else {
            u = c.r.below(100);
            if (u < 45)
                pick_expand(o, c, span_of(kSentGeneral));
            else if (u < 85)
                pick_expand(o, c, c.dom.sentences);
            else
                pick_expand(o, c, span_of(kSentTopic));
        }
    }
}

void para_break(std::string &o) { o.append("\n\n"); }

// Body length: most documents medium, some short, some long.
uint32_t length_factor(Rng &r) {
    uint32_t u = r.below(100);
    if (u < 15) return 1;  // short
    if (u < 78) return 2;  // medium
    return 4;              // long
}

void body_urteil(std::string &o, Ctx &c) {
    const Header &h = c.h;
    uint32_t lf = length_factor(c.r);
    put(o, kCourts[h.court].name);
    para_break(o);
    put(o, "Im Namen des Volkes\n\nUrteil\n\nAz. ");
    put_aktenzeichen(o, h);
    para_break(o);
    put(o, "In dem Verwaltungsrechtsstreit wegen ");
    put(o, c.topic().nom);
    put(o, " hat die Kammer aufgrund der mündlichen Verhandlung vom ");
    put_date_long_de(o, h.date);
    put(o, " für Recht erkannt:");
    para_break(o);
    if (c.r.below(2)) {
        put(o,
            "Die Klage wird abgewiesen. Die Klägerin trägt die Kosten des Verfahrens. "
            "Das Urteil ist wegen der Kosten vorläufig vollstreckbar.");
    } else {
        expand(o, c,
               "Der Bescheid $E vom $D wird aufgehoben. Der Beklagte trägt die Kosten des Verfahrens. "
               "Die Berufung wird zugelassen.");
    }
    put(o, "\n\nTatbestand\n\n");
    paragraph(o, c, 3 + c.r.below(2 * lf), span_of(kSentTatbestand), 700);
    put(o, "\n\nEntscheidungsgründe\n\n");
    uint32_t np = lf + c.r.below(lf + 1);
    for (uint32_t i = 0; i < np; ++i) {
        if (i) para_break(o);
        paragraph(o, c, 3 + c.r.below(3), Strs{nullptr, 0}, 0);
    }
}

void body_beschluss(std::string &o, Ctx &c) {
    uint32_t lf = length_factor(c.r);
    put(o, kCourts[c.h.court].name);
    put(o, "\n\nBeschluss\n\nAz. ");
    put_aktenzeichen(o, c.h);
    para_break(o);
    expand(o, c,
           "Der Antrag der Antragstellerin, die aufschiebende Wirkung ihres Widerspruchs gegen den Bescheid vom $D "
           "anzuordnen, wird abgelehnt. Die Antragstellerin trägt die Kosten des Verfahrens. "
           "Der Streitwert wird auf $Z.000 Euro festgesetzt.");
    put(o, "\n\nGründe\n\nI.\n\n");
    paragraph(o, c, 2 + c.r.below(2), span_of(kSentTatbestand), 700);
    put(o, "\n\nII.\n\n");
    uint32_t np = lf + c.r.below(lf + 1);
    for (uint32_t i = 0; i < np; ++i) {
        if (i) para_break(o);
        paragraph(o, c, 3 + c.r.below(3), span_of(kSentBeschluss), 250);
    }
}

void body_gesetz(std::string &o, Ctx &c) {
    uint32_t lf = length_factor(c.r);
    put(o, c.dom.laws[c.h.law].name);
    uint32_t nsec = 2 + lf / 2 + c.r.below(lf + 1);
    uint32_t sec = 1 + c.h.az1 % 60;
    for (uint32_t s = 0; s < nsec; ++s) {
        para_break(o);
        put(o, "§ ");
        put_uint(o, sec + s);
        o.push_back(' ');
        if (c.r.below(3) == 0)
            put(o, c.domain_noun().base);
        else
            put(o, kLawHeadings[c.r.below(static_cast<uint32_t>(std::size(kLawHeadings)))]);
        para_break(o);
        uint32_t nabs = 1 + c.r.below(4);
        for (uint32_t a = 0; a < nabs; ++a) {
            if (a) o.push_back(' ');
            o.push_back('(');
            put_uint(o, a + 1);
            put(o, ") ");
            pick_expand(o, c, span_of(kSentGesetz));
            if (c.r.below(2)) {
                o.push_back(' ');
                pick_expand(o, c, span_of(kSentGesetz));
            }
        }
    }
}

void body_bescheid(std::string &o, Ctx &c) {
    const Authority &a = kAuthorities[c.h.auth];
    uint32_t lf = length_factor(c.r);
    put(o, a.name);
    o.push_back('\n');
    put(o, kPlaces[c.h.place]);
    put(o, ", den ");
    put_date_short_de(o, c.h.date);
    put(o, "\n\nAz.: ");
    put_aktenzeichen(o, c.h);
    put(o, "\n\nBescheid\n\nSehr geehrte Damen und Herren,\n\n");
    expand(o, c, "auf Ihren Antrag vom $D ergeht folgende Entscheidung:\n\nI. Entscheidung\n\n");
    if (c.r.below(3)) {
        expand(o, c, "1. Die beantragte Genehmigung für $V wird unter den nachfolgenden Nebenbestimmungen erteilt. ");
    } else {
        expand(o, c, "1. Der Antrag auf Genehmigung für $V wird abgelehnt. ");
    }
    put(o, "2. ");
    pick_expand(o, c, span_of(kSentBescheid));
    put(o, " 3. ");
    pick_expand(o, c, span_of(kSentBescheid));
    put(o, "\n\nII. Begründung\n\n");
    uint32_t np = lf + c.r.below(lf + 1);
    for (uint32_t i = 0; i < np; ++i) {
        if (i) para_break(o);
        paragraph(o, c, 3 + c.r.below(3), Strs{nullptr, 0}, 0);
    }
    expand(o, c,
           "\n\nIII. Kosten\n\nFür diesen Bescheid wird eine Verwaltungsgebühr in Höhe von $Z5,00 Euro festgesetzt.");
    put(o,
        "\n\nRechtsbehelfsbelehrung\n\nGegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
        "Widerspruch erhoben werden. Der Widerspruch ist schriftlich oder zur Niederschrift bei ");
    put(o, a.dat);
    put(o, " einzulegen.\n\nMit freundlichen Grüßen\nIm Auftrag");
}

void body_kommentar(std::string &o, Ctx &c) {
    uint32_t lf = length_factor(c.r);
    put(o, c.dom.norms[c.h.norm]);
    put(o, " – Kommentierung");
    para_break(o);
    static const char *const kParts[] = {"A. Allgemeines",  "B. Normzweck", "C. Voraussetzungen",
                                         "D. Rechtsfolgen", "E. Verfahren", "F. Praxishinweise"};
    uint32_t nparts = 2 + lf / 2 + c.r.below(lf + 1);
    uint32_t rn = 1;
    for (uint32_t i = 0; i < nparts && i < std::size(kParts); ++i) {
        if (i) para_break(o);
        put(o, kParts[i]);
        uint32_t nrn = 1 + c.r.below(2);
        for (uint32_t k = 0; k < nrn; ++k) {
            put(o, "\n\nRn. ");
            put_uint(o, rn++);
            o.push_back(' ');
            paragraph(o, c, 2 + c.r.below(3), span_of(kSentKommentar), 450);
        }
    }
}

void body_merkblatt(std::string &o, Ctx &c) {
    uint32_t lf = length_factor(c.r);
    put(o, "Merkblatt\n\n");
    expand(o, c, "Dieses Merkblatt gibt einen Überblick über die wichtigsten Anforderungen an $V im $R.");
    o.push_back(' ');
    paragraph(o, c, 1 + c.r.below(2), span_of(kSentMerkblatt), 500);
    uint32_t nq = 3 + c.r.below(lf + 1);
    uint32_t q0 = c.r.below(static_cast<uint32_t>(std::size(kMerkblattQuestions)));
    for (uint32_t i = 0; i < nq; ++i) {
        para_break(o);
        put(o, kMerkblattQuestions[(q0 + i) % std::size(kMerkblattQuestions)]);
        para_break(o);
        if ((q0 + i) % std::size(kMerkblattQuestions) == 1) {  // Unterlagen: a list
            uint32_t ni = 3 + c.r.below(4);
            uint32_t i0 = c.r.below(static_cast<uint32_t>(std::size(kMerkblattItems)));
            for (uint32_t k = 0; k < ni; ++k) {
                if (k) o.push_back('\n');
                put(o, kMerkblattItems[(i0 + k) % std::size(kMerkblattItems)]);
            }
        } else {
            paragraph(o, c, 2 + c.r.below(3), span_of(kSentMerkblatt), 400);
        }
    }
}

void body_english(std::string &o, Ctx &c) {
    const EnAct &act = c.dom.en_acts[c.h.topic];
    uint32_t lf = length_factor(c.r);
    put(o, "SUMMARY OF:\n\n");
    put(o, act.title);
    put(o, "\n\nWHAT IS THE AIM OF THE DIRECTIVE?\n\n");
    pick_expand(o, c, span_of(kEnAims));
    o.push_back(' ');
    pick_expand(o, c, span_of(kEnSentences));
    put(o, "\n\nKEY POINTS\n\n");
    uint32_t np = lf + c.r.below(lf + 1);
    for (uint32_t i = 0; i < np; ++i) {
        if (i) para_break(o);
        uint32_t ns = 3 + c.r.below(3);
        for (uint32_t k = 0; k < ns; ++k) {
            if (k) o.push_back(' ');
            pick_expand(o, c, span_of(kEnSentences));
        }
    }
    put(o, "\n\nFROM WHEN DOES THE DIRECTIVE APPLY?\n\n");
    expand(o, c, "It entered into force on $F. Member States had to transpose it into national law by $F.");
    put(o, "\n\nBACKGROUND\n\nFor more information, see the Commission's website on $e.");
}

// Makes sure every cited document is mentioned in the text.
void mention_unused_refs(std::string &o, Ctx &c) {
    bool first = true;
    for (uint32_t i = 0; i < c.refs.size(); ++i) {
        if (c.refs_used & (1u << i)) continue;
        put(o, first ? "\n\n" : " ");
        first = false;
        static const char *const kLeadDe[] = {"Ergänzend wird verwiesen auf: ", "Siehe auch: ", "Vgl. ferner "};
        put(o, c.h.en ? "See also: " : kLeadDe[c.r.below(3)]);
        put(o, c.refs[i]);
        o.push_back('.');
        c.refs_used |= 1u << i;
    }
}

void good_body(std::string &o, Ctx &c) {
    if (c.h.en) {
        body_english(o, c);
    } else {
        switch (c.h.type) {
            case T_URTEIL: body_urteil(o, c); break;
            case T_BESCHLUSS: body_beschluss(o, c); break;
            case T_GESETZ:
            case T_VERORDNUNG: body_gesetz(o, c); break;
            case T_BESCHEID: body_bescheid(o, c); break;
            case T_KOMMENTAR: body_kommentar(o, c); break;
            default: body_merkblatt(o, c); break;
        }
    }
    mention_unused_refs(o, c);
}

void boilerplate_body(std::string &o, Ctx &c, uint32_t pages) {
    Strs head = c.h.en ? span_of(kBoilerHeadEn) : span_of(kBoilerHeadDe);
    Strs foot = c.h.en ? span_of(kBoilerFootEn) : span_of(kBoilerFootDe);
    uint32_t nh = 3 + c.r.below(4);
    uint32_t h0 = c.r.below(head.n);
    for (uint32_t i = 0; i < nh; ++i) {
        if (i) o.push_back('\n');
        put(o, head[(h0 + i) % head.n]);
    }
    para_break(o);
    put_title(o, c.h);
    for (uint32_t p = 1; p <= pages; ++p) {
        para_break(o);
        if (c.h.en) {
            uint32_t ns = 2 + c.r.below(3);
            for (uint32_t k = 0; k < ns; ++k) {
                if (k) o.push_back(' ');
                pick_expand(o, c, span_of(kEnSentences));
            }
        } else {
            paragraph(o, c, 3 + c.r.below(3), span_of(kSentMerkblatt), 300);
        }
        para_break(o);
        put(o, c.h.en ? "Page " : "Seite ");
        put_uint(o, p);
        put(o, c.h.en ? " of " : " von ");
        put_uint(o, pages);
        if (c.r.below(2)) {
            o.push_back('\n');
            put(o, foot[c.r.below(foot.n)]);
        }
    }
    mention_unused_refs(o, c);
    para_break(o);
    uint32_t nf = 4 + c.r.below(5);
    uint32_t f0 = c.r.below(foot.n);
    for (uint32_t i = 0; i < nf; ++i) {
        if (i) o.push_back('\n');
        put(o, foot[(f0 + i) % foot.n]);
    }
    o.push_back('\n');
    put(o, "© ");
    put_uint(o, static_cast<uint64_t>(c.h.date.y));
    o.push_back(' ');
    put(o, c.h.en ? "European Union. All rights reserved." : kAuthorities[c.h.auth].name);
    if (!c.h.en) put(o, ". Alle Rechte vorbehalten.");
}

uint32_t count_words(std::string_view s) {
    uint32_t n = 0;
    bool in = false;
    for (char ch : s) {
        bool sp = ch == ' ' || ch == '\n' || ch == '\t';
        if (!sp && !in) ++n;
        in = !sp;
    }
    return n;
}

void stub_body(std::string &o, Ctx &c) {
    uint32_t target = c.r.range(3, 10);
    if (c.r.below(2)) {
        std::size_t start = o.size();
        pick_expand(o, c, span_of(kStubSentences));
        if (count_words(std::string_view(o).substr(start)) <= 10) return;
        o.resize(start);
    }
    for (uint32_t i = 0; i < target; ++i) {
        if (i) o.push_back(' ');
        const char *noun = c.domain_noun().base;
        if (c.r.below(2) && !std::strchr(noun, ' '))
            put(o, noun);
        else
            put(o, kStubWords[c.r.below(static_cast<uint32_t>(std::size(kStubWords)))]);
    }
    if (c.r.below(2)) o.push_back('.');
}

// Noise: only ASCII bytes are changed or inserted, so the text stays valid UTF-8.
void garbage_body(std::string &o, Ctx &c) {
    switch (c.r.below(4)) {
        case 0: {  // random "words" of letters and digits
            uint32_t len = c.r.range(300, 3000);
            std::size_t start = o.size();
            while (o.size() - start < len) {
                uint32_t wl = c.r.range(1, 12);
                for (uint32_t k = 0; k < wl; ++k) o.push_back(kGarbageAlnum[c.r.below(sizeof kGarbageAlnum - 1)]);
                uint32_t u = c.r.below(20);
                o.push_back(u == 0 ? '\n' : ' ');
            }
            break;
        }
        case 1: {  // one line repeated
            const char *line = kGarbageLines[c.r.below(static_cast<uint32_t>(std::size(kGarbageLines)))];
            uint32_t n = c.r.range(20, 120);
            for (uint32_t k = 0; k < n; ++k) {
                if (k) o.push_back('\n');
                put(o, line);
            }
            break;
        }
        case 2: {  // symbol soup
            uint32_t len = c.r.range(300, 2000);
            for (uint32_t k = 0; k < len; ++k) {
                uint32_t u = c.r.below(40);
                if (u == 0)
                    put(o, "€");
                else if (u == 1)
                    put(o, "§");
                else if (u == 2)
                    o.push_back('\n');
                else if (u == 3)
                    o.push_back('\t');
                else
                    o.push_back(kGarbageSymbols[c.r.below(sizeof kGarbageSymbols - 1)]);
            }
            break;
        }
        default: {  // OCR wreck of real prose: broken lines, letter confusion, mojibake
            std::string prose;
            paragraph(prose, c, 6 + c.r.below(10), Strs{nullptr, 0}, 0);
            for (std::size_t k = 0; k < prose.size(); ++k) {
                unsigned char ch = static_cast<unsigned char>(prose[k]);
                if (ch < 0x80) {
                    uint32_t u = c.r.below(100);
                    if (u < 6)
                        o.push_back('\n');
                    else if (u < 16)
                        o.push_back(' ');
                    if (ch == 'l' && u < 40) {
                        o.push_back('1');
                        continue;
                    }
                    if (ch == 'o' && u < 30) {
                        o.push_back('0');
                        continue;
                    }
                    if (ch == 'e' && u < 20) {
                        o.push_back('c');
                        continue;
                    }
                    if (ch == ' ' && u < 15) {
                        o.append(" | ");
                        continue;
                    }
                    o.push_back(static_cast<char>(ch));
                } else if (ch == 0xC3 && k + 1 < prose.size()) {
                    // ä ö ü ß etc. decoded as Latin-1 and re-encoded: "Ã¤"
                    unsigned char nx = static_cast<unsigned char>(prose[k + 1]);
                    o.append("\xC3\x83");
                    o.push_back(static_cast<char>(0xC2));
                    o.push_back(static_cast<char>(nx));
                    ++k;
                } else {
                    o.push_back(static_cast<char>(ch));
                }
            }
            break;
        }
    }
}

// Small edits that keep a near-duplicate close to its base (word 3-shingle
// Jaccard similarity typically 0.8-0.95): one or two changed digits plus one
// (sometimes two) of: a dropped sentence, an inserted sentence, a swapped word,
// a header or footer line. Never an exact copy.
void near_duplicate_edit(std::string &text, Rng &r) {
    const std::string original = text;
    uint32_t nd = 1 + r.below(2);
    for (uint32_t k = 0; k < nd && !text.empty(); ++k) {
        std::size_t pos = static_cast<std::size_t>(r.below64(text.size()));
        for (std::size_t i = pos; i < text.size(); ++i) {
            if (text[i] >= '0' && text[i] <= '9') {
                text[i] = static_cast<char>('0' + (text[i] - '0' + 1 + r.below(9)) % 10);
                break;
            }
        }
    }
    uint32_t nedits = r.below(10) < 3 ? 2 : 1;
    for (uint32_t e = 0; e < nedits; ++e) {
        switch (r.below(4)) {
            case 0: {  // drop one sentence
                std::size_t a = text.find(". ", static_cast<std::size_t>(r.below64(text.size() / 2 + 1)));
                if (a == std::string::npos) break;
                std::size_t b = text.find(". ", a + 2);
                if (b != std::string::npos && b - a < 400) {
                    text.erase(a + 1, b - a);
                }
                break;
            }
            case 1: {  // insert a short sentence
                static const char *const kInserts[] = {
                    " Dies gilt auch für vergleichbare Fälle.", " Hierauf wird ausdrücklich hingewiesen.",
                    " (Redaktionell überarbeitete Fassung.)", " Einzelheiten ergeben sich aus der Anlage.",
                    " This also applies to comparable cases."};
                std::size_t at = text.find(". ", static_cast<std::size_t>(r.below64(text.size())));
                if (at == std::string::npos) break;
                text.insert(at + 1, kInserts[r.below(static_cast<uint32_t>(std::size(kInserts)))]);
                break;
            }
            case 2: {  // swap a word
                static const char *const kFrom[] = {"Klägerin", "Bescheid", "Behörde", "Member States"};
                static const char *const kTo[] = {"Kläger", "Verwaltungsakt", "Verwaltung", "EU countries"};
                uint32_t w = r.below(static_cast<uint32_t>(std::size(kFrom)));
                std::size_t at = text.find(kFrom[w]);
                if (at == std::string::npos) break;
                text.replace(at, std::strlen(kFrom[w]), kTo[w]);
                break;
            }
            default:  // header or footer line
                if (r.below(2)) {
                    text.insert(0, "Abschrift\n\n");
                } else {
                    text.append("\n\nStand: 01.0");
                    put_uint(text, 1 + r.below(9));
                    text.append(".20");
                    put_uint(text, 10 + r.below(16));
                }
                break;
        }
    }
    if (text == original) text.insert(0, "Abschrift\n\n");
}

// ---------------------------------------------------------------------------
// Citations

void pick_citations(uint64_t seed, const Header &h, std::vector<uint64_t> &out) {
    out.clear();
    if (h.index <= 1) return;
    Rng r(stream_seed(seed, h.index, 3));
    uint32_t count = 0;
    switch (h.q) {
        case DocQuality::good: {
            static const uint16_t kW[] = {20, 25, 20, 15, 10, 10};  // 0..5
            count = weighted(r, kW);
            break;
        }
        case DocQuality::boilerplate: count = r.below(3); break;
        case DocQuality::stub: count = r.below(10) == 0 ? 1 : 0; break;
        default: count = 0; break;
    }
    const uint64_t n = h.index - 1;  // candidates 1..n
    for (uint32_t k = 0; k < count; ++k) {
        for (uint32_t attempt = 0; attempt < 8; ++attempt) {
            uint64_t j;
            uint32_t mode = r.below(100);
            if (mode < 35) {  // landmark: skewed towards early (much-cited) documents
                uint64_t a = r.below64(n), b = r.below64(n), c = r.below64(n);
                uint64_t m = a < b ? a : b;
                j = 1 + (m < c ? m : c);
            } else if (mode < 70) {  // recent
                uint64_t w = n < 200 ? n : 200;
                j = h.index - 1 - r.below64(w);
            } else {
                j = 1 + r.below64(n);
            }
            bool dup = false;
            for (uint64_t x : out) dup |= x == j;
            if (dup) continue;
            DocQuality qj = quality_draw(seed, j);
            if (qj != DocQuality::good && qj != DocQuality::near_duplicate) continue;
            Header hj = make_header(seed, j);
            if (hj.q != DocQuality::good && hj.q != DocQuality::near_duplicate) continue;
            if (hj.en != h.en) continue;
            if (attempt < 4 && hj.domain != h.domain) continue;
            out.push_back(j);
            break;
        }
    }
}

void collect_refs(uint64_t seed, const std::vector<uint64_t> &cites, std::vector<std::string> &refs) {
    refs.resize(cites.size());
    for (std::size_t i = 0; i < cites.size(); ++i) {
        refs[i].clear();
        put_reference(refs[i], make_header(seed, cites[i]));
    }
}

// Global topic numbers: German topics domain by domain, then the English acts.
uint32_t german_topic_offset(uint8_t domain) {
    uint32_t n = 0;
    for (uint8_t d = 0; d < domain; ++d) n += kDomains[d].topics.n;
    return n;
}
uint32_t german_topic_count() { return german_topic_offset(static_cast<uint8_t>(std::size(kDomains))); }
uint32_t english_topic_offset(uint8_t domain) {
    uint32_t n = german_topic_count();
    for (uint8_t d = 0; d < domain; ++d) n += kDomains[d].en_acts.n;
    return n;
}
uint32_t global_topic(const Header &h) {
    return (h.en ? english_topic_offset(h.domain) : german_topic_offset(h.domain)) + h.topic;
}
// Domain and index within it of a global topic number; false when out of range.
bool split_topic(uint32_t topic, uint8_t &domain, uint32_t &local, bool &en) {
    const uint8_t nd = static_cast<uint8_t>(std::size(kDomains));
    for (uint8_t d = 0; d < nd; ++d) {
        uint32_t off = german_topic_offset(d);
        if (topic >= off && topic < off + kDomains[d].topics.n) {
            domain = d, local = topic - off, en = false;
            return true;
        }
    }
    for (uint8_t d = 0; d < nd; ++d) {
        uint32_t off = english_topic_offset(d);
        if (topic >= off && topic < off + kDomains[d].en_acts.n) {
            domain = d, local = topic - off, en = true;
            return true;
        }
    }
    return false;
}

// Text of a good document (also the base text of near-duplicates).
void good_content(uint64_t seed, const Header &h, const std::vector<uint64_t> &cites, std::string &out) {
    std::vector<std::string> refs;
    collect_refs(seed, cites, refs);
    Ctx c(stream_seed(seed, h.index, 2), h, refs);
    good_body(out, c);
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

const char *to_string(DocQuality q) {
    switch (q) {
        case DocQuality::good: return "good";
        case DocQuality::boilerplate: return "boilerplate";
        case DocQuality::near_duplicate: return "near_duplicate";
        case DocQuality::stub: return "stub";
        case DocQuality::garbage: return "garbage";
    }
    return "unknown";
}

uint32_t corpus_topic_count() { return english_topic_offset(static_cast<uint8_t>(std::size(kDomains))); }

const char *corpus_topic_name(uint32_t topic) {
    uint8_t d;
    uint32_t local;
    bool en;
    if (!split_topic(topic, d, local, en)) return "";
    return en ? kDomains[d].en_acts[local].title : kDomains[d].topics[local].nom;
}

const char *corpus_topic_domain(uint32_t topic) {
    uint8_t d;
    uint32_t local;
    bool en;
    return split_topic(topic, d, local, en) ? kDomains[d].id : "";
}

bool corpus_mentions_topic(const CorpusDocument &doc) {
    uint8_t d;
    uint32_t local;
    bool en;
    if (!split_topic(doc.topic, d, local, en)) return false;
    const char *forms[2] = {en ? kDomains[d].en_acts[local].title : kDomains[d].topics[local].nom,
                            en ? nullptr : kDomains[d].topics[local].gen};
    for (const char *f : forms) {
        if (f && (doc.title.find(f) != std::string::npos || doc.content.find(f) != std::string::npos)) return true;
    }
    return false;
}

std::string corpus_document_id(uint64_t index) {
    std::string s = "doc-";
    put_uint_pad(s, index, 7);
    return s;
}

DocQuality CorpusGenerator::quality_of(uint64_t index) const {
    DocQuality q = quality_draw(seed_, index);
    if (q != DocQuality::near_duplicate) return q;
    return make_header(seed_, index).q;  // falls back to good when no base exists
}

void CorpusGenerator::generate(uint64_t index, CorpusDocument &doc) const {
    const Header h = make_header(seed_, index);
    doc.index = index;
    doc.quality = h.q;
    doc.duplicate_of = h.base;
    doc.topic = global_topic(h);
    doc.document_id.clear();
    doc.document_id.append("doc-");
    put_uint_pad(doc.document_id, index, 7);
    doc.title.clear();
    doc.content.clear();
    doc.domain.assign(kDomains[h.domain].id);
    doc.document_type.assign(kTypeNames[h.type]);
    doc.source.assign(source_of(h));
    doc.created_at.clear();
    put_uint_pad(doc.created_at, static_cast<uint64_t>(h.date.y), 4);
    doc.created_at.push_back('-');
    put_uint_pad(doc.created_at, static_cast<uint64_t>(h.date.m), 2);
    doc.created_at.push_back('-');
    put_uint_pad(doc.created_at, static_cast<uint64_t>(h.date.d), 2);
    doc.created_at.push_back('T');
    put_uint_pad(doc.created_at, h.hour, 2);
    doc.created_at.push_back(':');
    put_uint_pad(doc.created_at, h.minute, 2);
    doc.created_at.push_back(':');
    put_uint_pad(doc.created_at, h.second, 2);
    doc.created_at.push_back('Z');
    doc.aktenzeichen.clear();
    put_aktenzeichen(doc.aktenzeichen, h);
    doc.gericht.assign(!h.en && is_court_type(h.type) ? kCourts[h.court].name : "");
    doc.behoerde.assign(!h.en && (h.type == T_BESCHEID || h.type == T_MERKBLATT) ? kAuthorities[h.auth].name : "");
    doc.language.assign(h.en ? "en" : "de");
    doc.year = h.date.y;

    Rng meta(stream_seed(seed_, index, 5));
    switch (h.q) {
        case DocQuality::good: {
            pick_citations(seed_, h, doc.citations);
            put_title(doc.title, h);
            good_content(seed_, h, doc.citations, doc.content);
            doc.pages = static_cast<int64_t>(doc.content.size() / 1800 + 1 + meta.below(2));
            break;
        }
        case DocQuality::near_duplicate: {
            Header b = make_header(seed_, h.base);
            pick_citations(seed_, b, doc.citations);  // a copy cites what its base cites
            put_title(doc.title, b);
            switch (h.dup_variant) {
                case 0: doc.title.append(" (Abschrift)"); break;
                case 1: doc.title.append(" – Kopie"); break;
                default: break;
            }
            good_content(seed_, b, doc.citations, doc.content);
            Rng er(stream_seed(seed_, index, 4));
            near_duplicate_edit(doc.content, er);
            doc.pages = static_cast<int64_t>(doc.content.size() / 1800 + 1 + meta.below(2));
            break;
        }
        case DocQuality::boilerplate: {
            pick_citations(seed_, h, doc.citations);
            std::vector<std::string> refs;
            collect_refs(seed_, doc.citations, refs);
            Ctx c(stream_seed(seed_, index, 2), h, refs);
            put_title(doc.title, h);
            doc.title.append(h.en ? " | EUR-Lex" : " | ");
            if (!h.en) doc.title.append(kAuthorities[h.auth].name);
            uint32_t pages = 1 + c.r.below(3);
            boilerplate_body(doc.content, c, pages);
            doc.pages = pages;
            if (meta.below(2)) doc.aktenzeichen.clear();
            break;
        }
        case DocQuality::stub: {
            pick_citations(seed_, h, doc.citations);
            std::vector<std::string> refs;
            Ctx c(stream_seed(seed_, index, 2), h, refs);
            if (meta.below(3))
                put_title(doc.title, h);
            else
                doc.title.append(meta.below(2) ? "Entwurf" : "Ohne Titel");
            stub_body(doc.content, c);
            doc.pages = 1;
            if (meta.below(2)) doc.aktenzeichen.clear();
            if (meta.below(2)) doc.gericht.clear();
            if (meta.below(2)) doc.behoerde.clear();
            break;
        }
        case DocQuality::garbage: {
            doc.citations.clear();
            std::vector<std::string> refs;
            Ctx c(stream_seed(seed_, index, 2), h, refs);
            switch (meta.below(4)) {
                case 0:
                    doc.title.append("scan_");
                    put_uint_pad(doc.title, meta.below(100000), 5);
                    doc.title.append(".pdf");
                    break;
                case 1:
                    doc.title.append("Dokument ");
                    put_uint(doc.title, index);
                    break;
                case 2: doc.title.append("Unbenannt"); break;
                default: doc.title.append("#### ???"); break;
            }
            garbage_body(doc.content, c);
            doc.pages = meta.below(6);
            doc.aktenzeichen.clear();
            doc.gericht.clear();
            doc.behoerde.clear();
            doc.language.clear();
            break;
        }
    }
}

void append_corpus_json_line(std::string &out, const CorpusDocument &doc) {
    out.append("{\"document_id\":");
    append_json_string(out, doc.document_id);
    out.append(",\"title\":");
    append_json_string(out, doc.title);
    out.append(",\"content\":");
    append_json_string(out, doc.content);
    out.append(",\"domain\":");
    append_json_string(out, doc.domain);
    out.append(",\"document_type\":");
    append_json_string(out, doc.document_type);
    out.append(",\"source\":");
    append_json_string(out, doc.source);
    out.append(",\"created_at\":");
    append_json_string(out, doc.created_at);
    out.append(",\"metadata\":{\"aktenzeichen\":");
    append_json_string(out, doc.aktenzeichen);
    out.append(",\"gericht\":");
    append_json_string(out, doc.gericht);
    out.append(",\"behoerde\":");
    append_json_string(out, doc.behoerde);
    out.append(",\"language\":");
    append_json_string(out, doc.language);
    out.append(",\"year\":");
    put_int(out, doc.year);
    out.append(",\"pages\":");
    put_int(out, doc.pages);
    out.append("},\"citations\":[");
    for (std::size_t i = 0; i < doc.citations.size(); ++i) {
        if (i) out.push_back(',');
        out.append("\"doc-");
        put_uint_pad(out, doc.citations[i], 7);
        out.push_back('"');
    }
    out.append("]}\n");
}

void generate_corpus(const CorpusOptions &opt, const std::function<void(const char *, std::size_t)> &sink,
                     const std::function<void(const CorpusDocument &)> &each) {
    constexpr std::size_t kChunk = 4u << 20;
    CorpusGenerator gen(opt.seed);
    CorpusDocument doc;
    std::string buf;
    buf.reserve(kChunk + (256u << 10));
    for (uint64_t i = 1; i <= opt.docs; ++i) {
        gen.generate(i, doc);
        if (each) each(doc);
        append_corpus_json_line(buf, doc);
        if (buf.size() >= kChunk) {
            sink(buf.data(), buf.size());
            buf.clear();
        }
    }
    if (!buf.empty()) sink(buf.data(), buf.size());
}

void generate_corpus(std::ostream &out, const CorpusOptions &opt) {
    // Stop generating once the stream has failed (e.g. disk full, closed pipe).
    struct Stop {};
    try {
        generate_corpus(opt, [&out](const char *p, std::size_t n) {
            out.write(p, static_cast<std::streamsize>(n));
            if (!out) throw Stop{};
        });
    } catch (const Stop &) {
    }
}

}  // namespace clara
