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
#include "core/corpus_generator.hpp"

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

template <class T> struct Span {
  const T *p;
  uint32_t n;
  const T &operator[](uint32_t i) const { return p[i]; }
  const T &pick(Rng &r) const { return p[r.below(n)]; }
};
template <class T, std::size_t N> constexpr Span<T> span_of(const T (&a)[N]) {
  return Span<T>{a, static_cast<uint32_t>(N)};
}
using Strs = Span<const char *>;

// Weighted pick: weights are small integers.
template <std::size_t N> uint32_t weighted(Rng &r, const uint16_t (&w)[N]) {
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

const char *const kMonthsDe[12] = {"Januar", "Februar", "März",      "April",   "Mai",      "Juni",
                                   "Juli",   "August",  "September", "Oktober", "November", "Dezember"};
const char *const kMonthsEn[12] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

struct Date {
  int y, m, d;
};

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

// ---------------------------------------------------------------------------
// Vocabulary

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

// --- Domain nouns -----------------------------------------------------------
const Noun kNounsVerwaltung[] = {
    {"Verwaltungsakt", 'm', "Verwaltungsakts"},
    {"Widerspruch", 'm', "Widerspruchs"},
    {"Anhörung", 'f', nullptr},
    {"Ermessen", 'n', "Ermessens"},
    {"Nebenbestimmung", 'f', nullptr},
    {"Rücknahme", 'f', nullptr},
    {"Widerruf", 'm', "Widerrufs"},
    {"Vertrauensschutz", 'm', "Vertrauensschutzes"},
    {"Bestimmtheit", 'f', nullptr},
    {"Begründungspflicht", 'f', nullptr},
    {"Zustellung", 'f', nullptr},
    {"Bekanntgabe", 'f', nullptr},
    {"Akteneinsicht", 'f', nullptr},
    {"Verwaltungsverfahren", 'n', "Verwaltungsverfahrens"},
    {"Rechtsbehelfsbelehrung", 'f', nullptr},
    {"Gebührenbescheid", 'm', "Gebührenbescheids"},
    {"Verwaltungsvollstreckung", 'f', nullptr},
    {"Zwangsgeld", 'n', "Zwangsgeldes"},
    {"Untätigkeitsklage", 'f', nullptr},
    {"Verhältnismäßigkeit", 'f', nullptr},
    {"Amtsermittlung", 'f', nullptr},
    {"Auflage", 'f', nullptr},
};
const Noun kNounsBau[] = {
    {"Baugenehmigung", 'f', nullptr},
    {"Bebauungsplan", 'm', "Bebauungsplans"},
    {"Abstandsfläche", 'f', nullptr},
    {"Bauvoranfrage", 'f', nullptr},
    {"Bauvorbescheid", 'm', "Bauvorbescheids"},
    {"Nutzungsänderung", 'f', nullptr},
    {"Außenbereich", 'm', "Außenbereichs"},
    {"Innenbereich", 'm', "Innenbereichs"},
    {"Grenzbebauung", 'f', nullptr},
    {"Stellplatzpflicht", 'f', nullptr},
    {"Bauantrag", 'm', "Bauantrags"},
    {"Dachgaube", 'f', nullptr},
    {"Brandschutz", 'm', "Brandschutzes"},
    {"Baulast", 'f', nullptr},
    {"Nachbarschutz", 'm', "Nachbarschutzes"},
    {"Rücksichtnahmegebot", 'n', "Rücksichtnahmegebots"},
    {"Geschossflächenzahl", 'f', nullptr},
    {"Bauaufsicht", 'f', nullptr},
    {"Baueinstellung", 'f', nullptr},
    {"Beseitigungsanordnung", 'f', nullptr},
    {"Dachanlage", 'f', nullptr},
    {"Grenzgarage", 'f', nullptr},
};
const Noun kNounsUmwelt[] = {
    {"Immissionsschutz", 'm', "Immissionsschutzes"},
    {"Lärmschutz", 'm', "Lärmschutzes"},
    {"Umweltverträglichkeitsprüfung", 'f', nullptr},
    {"Emissionsgrenzwert", 'm', "Emissionsgrenzwerts"},
    {"Naturschutzgebiet", 'n', "Naturschutzgebiets"},
    {"Artenschutz", 'm', "Artenschutzes"},
    {"Ausgleichsmaßnahme", 'f', nullptr},
    {"Eingriffsregelung", 'f', nullptr},
    {"Bodenschutz", 'm', "Bodenschutzes"},
    {"Altlast", 'f', nullptr},
    {"Abfallentsorgung", 'f', nullptr},
    {"Luftreinhalteplan", 'm', "Luftreinhalteplans"},
    {"Feinstaubbelastung", 'f', nullptr},
    {"Schallgutachten", 'n', "Schallgutachtens"},
    {"FFH-Verträglichkeitsprüfung", 'f', nullptr},
    {"Geruchsimmission", 'f', nullptr},
    {"Gewässerschutz", 'm', "Gewässerschutzes"},
    {"Klimaschutz", 'm', "Klimaschutzes"},
};
const Noun kNounsEnergie[] = {
    {"Photovoltaikanlage", 'f', nullptr},
    {"Photovoltaik", 'f', nullptr},
    {"Dachanlage", 'f', nullptr},
    {"Freiflächenanlage", 'f', nullptr},
    {"Einspeisevergütung", 'f', nullptr},
    {"Einspeisung", 'f', nullptr},
    {"Netzanschluss", 'm', "Netzanschlusses"},
    {"Netzbetreiber", 'm', "Netzbetreibers"},
    {"Marktstammdatenregister", 'n', "Marktstammdatenregisters"},
    {"Windenergieanlage", 'f', nullptr},
    {"Batteriespeicher", 'm', "Batteriespeichers"},
    {"Mieterstrom", 'm', "Mieterstroms"},
    {"Eigenverbrauch", 'm', "Eigenverbrauchs"},
    {"Ausschreibung", 'f', nullptr},
    {"Wärmepumpe", 'f', nullptr},
    {"Energieeffizienz", 'f', nullptr},
    {"Anlagenbetreiber", 'm', "Anlagenbetreibers"},
    {"Direktvermarktung", 'f', nullptr},
    {"Solarpflicht", 'f', nullptr},
    {"Wechselrichter", 'm', "Wechselrichters"},
    {"Netzentgelt", 'n', "Netzentgelts"},
};
const Noun kNounsPlanung[] = {
    {"Flächennutzungsplan", 'm', "Flächennutzungsplans"},
    {"Regionalplan", 'm', "Regionalplans"},
    {"Planfeststellung", 'f', nullptr},
    {"Planfeststellungsbeschluss", 'm', "Planfeststellungsbeschlusses"},
    {"Raumordnung", 'f', nullptr},
    {"Konzentrationszone", 'f', nullptr},
    {"Abwägungsgebot", 'n', "Abwägungsgebots"},
    {"Öffentlichkeitsbeteiligung", 'f', nullptr},
    {"Veränderungssperre", 'f', nullptr},
    {"Zurückstellung", 'f', nullptr},
    {"Vorranggebiet", 'n', "Vorranggebiets"},
    {"Bauleitplanung", 'f', nullptr},
    {"Planreife", 'f', nullptr},
    {"Umweltbericht", 'm', "Umweltberichts"},
    {"Erschließung", 'f', nullptr},
    {"Siedlungsabstand", 'm', "Siedlungsabstands"},
};
const Noun kNounsDenkmal[] = {
    {"Denkmalschutz", 'm', "Denkmalschutzes"},
    {"Baudenkmal", 'n', "Baudenkmals"},
    {"Denkmalbereich", 'm', "Denkmalbereichs"},
    {"Erscheinungsbild", 'n', "Erscheinungsbilds"},
    {"Umgebungsschutz", 'm', "Umgebungsschutzes"},
    {"Denkmalbehörde", 'f', nullptr},
    {"Denkmalliste", 'f', nullptr},
    {"Denkmalwert", 'm', "Denkmalwerts"},
    {"Sanierung", 'f', nullptr},
    {"Fassade", 'f', nullptr},
    {"Dacheindeckung", 'f', nullptr},
    {"Bodendenkmal", 'n', "Bodendenkmals"},
    {"Ensembleschutz", 'm', "Ensembleschutzes"},
    {"Substanzerhaltung", 'f', nullptr},
};
const Noun kNounsWasser[] = {
    {"Gewässerbenutzung", 'f', nullptr},
    {"Erlaubnis", 'f', nullptr},
    {"Bewilligung", 'f', nullptr},
    {"Überschwemmungsgebiet", 'n', "Überschwemmungsgebiets"},
    {"Hochwasserschutz", 'm', "Hochwasserschutzes"},
    {"Grundwasser", 'n', "Grundwassers"},
    {"Gewässerrandstreifen", 'm', "Gewässerrandstreifens"},
    {"Abwasserbeseitigung", 'f', nullptr},
    {"Einleitung", 'f', nullptr},
    {"Wasserschutzgebiet", 'n', "Wasserschutzgebiets"},
    {"Niederschlagswasser", 'n', "Niederschlagswassers"},
    {"Gewässerunterhaltung", 'f', nullptr},
    {"Versickerung", 'f', nullptr},
    {"Wasserkraftanlage", 'f', nullptr},
};
const Noun kNounsKommunal[] = {
    {"Gemeinderat", 'm', "Gemeinderats"},
    {"Satzung", 'f', nullptr},
    {"Anschluss- und Benutzungszwang", 'm', "Anschluss- und Benutzungszwangs"},
    {"Bürgerbegehren", 'n', "Bürgerbegehrens"},
    {"Kommunalabgabe", 'f', nullptr},
    {"Erschließungsbeitrag", 'm', "Erschließungsbeitrags"},
    {"Gebührensatzung", 'f', nullptr},
    {"Ratsbeschluss", 'm', "Ratsbeschlusses"},
    {"Befangenheit", 'f', nullptr},
    {"Haushaltssatzung", 'f', nullptr},
    {"Sondernutzung", 'f', nullptr},
    {"Straßenreinigung", 'f', nullptr},
    {"Kommunalaufsicht", 'f', nullptr},
    {"Fernwärmeversorgung", 'f', nullptr},
};

// --- Topics (the subject of one document) ------------------------------------
struct Topic {
  const char *nom;  // without article
  char g;
  const char *gen;  // genitive without article (nullptr: same as nom)
};
const char *topic_gen(const Topic &t) { return t.gen ? t.gen : t.nom; }

const Topic kTopicsVerwaltung[] = {
    {"Rücknahme eines begünstigenden Verwaltungsakts", 'f', nullptr},
    {"Widerspruch gegen einen Gebührenbescheid", 'm', "Widerspruchs gegen einen Gebührenbescheid"},
    {"Anhörung vor Erlass eines Verwaltungsakts", 'f', nullptr},
    {"Zwangsgeld wegen unterlassener Mitwirkung", 'n', "Zwangsgeldes wegen unterlassener Mitwirkung"},
    {"Akteneinsicht im Verwaltungsverfahren", 'f', nullptr},
    {"Widerruf einer Förderzusage", 'm', "Widerrufs einer Förderzusage"},
    {"Nebenbestimmung zu einer Genehmigung", 'f', nullptr},
    {"Ermessensausübung bei der Gebührenerhebung", 'f', nullptr},
};
const Topic kTopicsBau[] = {
    {"Baugenehmigung für ein Mehrfamilienhaus", 'f', nullptr},
    {"Abstandsfläche einer Grenzgarage", 'f', nullptr},
    {"Nutzungsänderung eines Ladenlokals", 'f', nullptr},
    {"Bebauungsplan \"Am Mühlbach\"", 'm', "Bebauungsplans \"Am Mühlbach\""},
    {"Dachgaube im Innenbereich", 'f', nullptr},
    {"Wohnbauvorhaben im Außenbereich", 'n', "Wohnbauvorhabens im Außenbereich"},
    {"Beseitigungsanordnung für ein Gartenhaus", 'f', nullptr},
    {"Dachanlage auf einer Grenzgarage", 'f', nullptr},
    {"Photovoltaikanlage auf einem Carport", 'f', nullptr},
};
const Topic kTopicsUmwelt[] = {
    {"Genehmigung einer Biogasanlage", 'f', nullptr},
    {"Lärmschutz an einer Bundesstraße", 'm', "Lärmschutzes an einer Bundesstraße"},
    {"Umweltverträglichkeitsprüfung für einen Windpark", 'f', nullptr},
    {"Sanierung einer Altlast", 'f', nullptr},
    {"Artenschutz beim Bau einer Windenergieanlage", 'm', "Artenschutzes beim Bau einer Windenergieanlage"},
    {"Luftreinhalteplan der Stadt Musterstadt", 'm', "Luftreinhalteplans der Stadt Musterstadt"},
    {"Geruchsbelästigung durch eine Tierhaltungsanlage", 'f', nullptr},
    {"Immissionsschutzrechtliche Genehmigung eines Steinbruchs", 'f', nullptr},
};
const Topic kTopicsEnergie[] = {
    {"Photovoltaikanlage auf einem Wohngebäude", 'f', nullptr},
    {"Photovoltaikanlage auf einem Baudenkmal", 'f', nullptr},
    {"Dachanlage mit Batteriespeicher", 'f', nullptr},
    {"Freiflächen-Photovoltaikanlage an der Autobahn", 'f', nullptr},
    {"Einspeisevergütung für Solarstrom", 'f', nullptr},
    {"Netzanschluss einer Windenergieanlage", 'm', "Netzanschlusses einer Windenergieanlage"},
    {"Mieterstrommodell in einem Mehrfamilienhaus", 'n', "Mieterstrommodells in einem Mehrfamilienhaus"},
    {"Windenergieanlage im Außenbereich", 'f', nullptr},
    {"Wärmepumpe im Reihenhaus", 'f', nullptr},
    {"Solarpflicht für Nichtwohngebäude", 'f', nullptr},
};
const Topic kTopicsPlanung[] = {
    {"Konzentrationszone für Windenergie", 'f', nullptr},
    {"Planfeststellungsbeschluss für eine Ortsumgehung", 'm', "Planfeststellungsbeschlusses für eine Ortsumgehung"},
    {"Regionalplan Musterregion", 'm', "Regionalplans Musterregion"},
    {"Veränderungssperre für ein Gewerbegebiet", 'f', nullptr},
    {"Änderung des Flächennutzungsplans", 'f', nullptr},
    {"Vorranggebiet für Freiflächen-Photovoltaik", 'n', "Vorranggebiets für Freiflächen-Photovoltaik"},
    {"Öffentlichkeitsbeteiligung bei der Bauleitplanung", 'f', nullptr},
};
const Topic kTopicsDenkmal[] = {
    {"Photovoltaikanlage auf einem Baudenkmal", 'f', nullptr},
    {"Sanierung einer denkmalgeschützten Fassade", 'f', nullptr},
    {"Abbruch eines Baudenkmals", 'm', "Abbruchs eines Baudenkmals"},
    {"Umgebungsschutz einer historischen Kirche", 'm', "Umgebungsschutzes einer historischen Kirche"},
    {"Dacheindeckung im Denkmalbereich", 'f', nullptr},
    {"Austausch historischer Fenster", 'm', "Austauschs historischer Fenster"},
    {"Solaranlage im Denkmalbereich", 'f', nullptr},
};
const Topic kTopicsWasser[] = {
    {"Einleitung von Niederschlagswasser", 'f', nullptr},
    {"Bauvorhaben im Überschwemmungsgebiet", 'n', "Bauvorhabens im Überschwemmungsgebiet"},
    {"Erlaubnis zur Grundwasserentnahme", 'f', nullptr},
    {"Gewässerrandstreifen am Mühlbach", 'm', "Gewässerrandstreifens am Mühlbach"},
    {"Wasserkraftanlage am Mühlbach", 'f', nullptr},
    {"Hochwasserschutz in Musterstadt", 'm', "Hochwasserschutzes in Musterstadt"},
};
const Topic kTopicsKommunal[] = {
    {"Gebührensatzung für die Abfallentsorgung", 'f', nullptr},
    {"Bürgerbegehren gegen einen Solarpark", 'n', "Bürgerbegehrens gegen einen Solarpark"},
    {"Erschließungsbeitrag für eine Anliegerstraße", 'm', "Erschließungsbeitrags für eine Anliegerstraße"},
    {"Anschluss- und Benutzungszwang für Fernwärme", 'm', "Anschluss- und Benutzungszwangs für Fernwärme"},
    {"Sondernutzung öffentlicher Straßen", 'f', nullptr},
    {"Befangenheit eines Ratsmitglieds", 'f', nullptr},
    {"Kommunale Wärmeplanung", 'f', nullptr},
};

// --- Norms, measures ---------------------------------------------------------
const char *const kNormsVerwaltung[] = {"§ 28 VwVfG", "§ 35 VwVfG", "§ 36 VwVfG", "§ 37 VwVfG",
                                        "§ 39 VwVfG", "§ 40 VwVfG", "§ 48 VwVfG", "§ 49 VwVfG",
                                        "§ 68 VwGO",  "§ 80 Abs. 5 VwGO", "§ 113 Abs. 1 VwGO", "§ 114 VwGO"};
const char *const kNormsBau[] = {"§ 34 BauGB",          "§ 35 Abs. 1 Nr. 4 BauGB", "§ 30 BauGB", "§ 6 BauO NRW",
                                 "Art. 6 BayBO",        "§ 15 BauNVO",           "§ 31 Abs. 2 BauGB",
                                 "§ 64 BauO NRW",       "§ 5 LBO BW"};
const char *const kNormsUmwelt[] = {"§ 5 BImSchG",     "§ 22 BImSchG", "§ 44 BNatSchG", "§ 15 BNatSchG",
                                    "Nr. 6.1 TA Lärm", "§ 4 BBodSchG", "§ 9 UVPG",      "§ 6 BImSchG"};
const char *const kNormsEnergie[] = {"§ 21 EEG 2023", "§ 48 EEG 2023", "§ 8 EEG 2023", "§ 35 Abs. 1 Nr. 8 BauGB",
                                     "§ 42a EnWG",    "§ 14a EnWG",    "§ 71 GEG",     "§ 2 EEG 2023"};
const char *const kNormsPlanung[] = {"§ 1 Abs. 7 BauGB", "§ 14 BauGB", "§ 15 BauGB", "§ 35 Abs. 3 Satz 3 BauGB",
                                     "§ 7 ROG",          "§ 74 VwVfG", "§ 249 BauGB", "§ 2 Abs. 4 BauGB"};
const char *const kNormsDenkmal[] = {"§ 9 DSchG NRW", "§ 2 DSchG NRW", "Art. 6 BayDSchG", "§ 8 DSchG BW",
                                     "§ 7 DSchG NRW", "§ 15 DSchG BW"};
const char *const kNormsWasser[] = {"§ 8 WHG", "§ 12 WHG", "§ 38 WHG", "§ 78 WHG", "§ 55 WHG", "§ 57 WHG", "§ 48 WHG"};
const char *const kNormsKommunal[] = {"§ 7 GO NRW", "§ 26 GO NRW", "§ 31 GO NRW", "§ 8 KAG NRW",
                                      "§ 9 GO NRW", "§ 127 BauGB", "§ 6 KAG NRW"};

const char *const kMeasuresVerwaltung[] = {"250,00 Euro", "1.500,00 Euro", "30 Tage", "5.000,00 Euro", "zwei Wochen"};
const char *const kMeasuresBau[] = {"3,00 m", "2,50 m", "0,4 H", "12,50 m", "450 m²", "0,8", "9,00 m"};
const char *const kMeasuresUmwelt[] = {"45 dB(A)", "55 dB(A)", "40 µg/m³", "1.000 m", "10 % der Jahresstunden", "35 dB(A)"};
const char *const kMeasuresEnergie[] = {"9,8 kWp", "29,9 kWp", "750 kWp", "4,2 MW", "8,2 ct/kWh", "120 kWh", "100 kW"};
const char *const kMeasuresPlanung[] = {"12 ha", "800 m", "1.000 m", "2 % der Landesfläche", "45 ha"};
const char *const kMeasuresDenkmal[] = {"120 Jahre", "45 m²", "300 m", "18 m²", "1,20 m"};
const char *const kMeasuresWasser[] = {"5 m", "0,5 l/s", "10 m", "1,20 m über Gelände", "2.000 m³ pro Jahr"};
const char *const kMeasuresKommunal[] = {"3,50 Euro je m²", "12.000 Euro", "10 % der Stimmberechtigten", "1,85 Euro je m²"};

// --- Domain-specific sentences -------------------------------------------------
// Slots ($ + letter), see expand().
const char *const kSentVerwaltung[] = {
    "Der Verwaltungsakt ist der Klägerin am $D wirksam bekanntgegeben worden.",
    "Der Widerspruch wurde fristgerecht innerhalb eines Monats nach Bekanntgabe erhoben.",
    "Die nach § 28 VwVfG erforderliche Anhörung ist im Widerspruchsverfahren nachgeholt worden.",
    "Die Behörde hat das ihr eingeräumte Ermessen erkannt und sachgerecht ausgeübt (§ 40 VwVfG).",
    "Ein schutzwürdiges Vertrauen in den Bestand des Verwaltungsakts besteht nicht.",
    "Die Begründung genügt den Anforderungen des § 39 VwVfG.",
    "Die Rücknahme ist innerhalb der Jahresfrist des § 48 Abs. 4 VwVfG erfolgt.",
    "Das Zwangsgeld ist zuvor schriftlich angedroht und der Höhe nach bestimmt worden.",
    "Im allgemeinen Verwaltungsrecht ist anerkannt, dass eine fehlende Anhörung geheilt werden kann.",
    "Die Nebenbestimmung ist hinreichend bestimmt und selbständig anfechtbar.",
};
const char *const kSentBau[] = {
    "Das Vorhaben hält die erforderliche Abstandsfläche von $M zur Grundstücksgrenze nicht ein.",
    "Das Grundstück liegt im Geltungsbereich des Bebauungsplans Nr. $Z der Stadt $O.",
    "Die Baugenehmigung wurde im vereinfachten Genehmigungsverfahren erteilt.",
    "Eine Dachanlage ist verfahrensfrei, soweit sie die Dachfläche nicht wesentlich überragt.",
    "Das Gebot der Rücksichtnahme ist nicht verletzt, da von dem Vorhaben keine erdrückende Wirkung ausgeht.",
    "Der Bauantrag wurde am $D bei der unteren Bauaufsichtsbehörde eingereicht.",
    "Das Vorhaben fügt sich nach Art und Maß der baulichen Nutzung in die Eigenart der näheren Umgebung ein.",
    "Die Festsetzungen des Bebauungsplans zur Dachform lassen Solaranlagen ausdrücklich zu.",
    "Die Stellplatzpflicht kann durch eine Ablösung erfüllt werden.",
    "Im Außenbereich ist das Vorhaben nur zulässig, wenn es privilegiert ist und die Erschließung gesichert ist.",
};
const char *const kSentUmwelt[] = {
    "Die Immissionsrichtwerte von $M werden an den maßgeblichen Immissionsorten eingehalten.",
    "Das Schallgutachten geht von einem Betrieb an $Z Tagen im Jahr aus.",
    "Ein Verstoß gegen das artenschutzrechtliche Tötungsverbot ist nicht zu erwarten.",
    "Die Umweltverträglichkeitsprüfung hat keine erheblichen nachteiligen Umweltauswirkungen ergeben.",
    "Immissionsschutz und Naturschutz sind bei der Genehmigung gleichermaßen zu berücksichtigen.",
    "Die Anlage entspricht dem Stand der Technik im Sinne des Immissionsschutzrechts.",
    "Für den Eingriff in Natur und Landschaft sind Ausgleichsmaßnahmen auf einer Fläche von $Z ha vorgesehen.",
    "Die Feinstaubbelastung lag im Jahresmittel unter dem Grenzwert von $M.",
    "Die Behörde hat die Geruchsimmissionen nach der TA Luft zutreffend bewertet.",
};
const char *const kSentEnergie[] = {
    "Die Photovoltaikanlage mit einer installierten Leistung von $M soll auf dem Dach des Wohnhauses errichtet werden.",
    "Der Netzbetreiber ist verpflichtet, die Anlage unverzüglich vorrangig an das Netz anzuschließen.",
    "Für den eingespeisten Strom wird eine Einspeisevergütung nach $P gewährt.",
    "Der Anlagenbetreiber hat die Anlage im Marktstammdatenregister zu registrieren.",
    "Photovoltaik und Eigenverbrauch sind für die Wirtschaftlichkeit der Dachanlage entscheidend.",
    "Die Einspeisung erfolgt über einen Wechselrichter mit ferngesteuerter Leistungsreduzierung.",
    "Die Errichtung von Anlagen zur Nutzung erneuerbarer Energien liegt im überragenden öffentlichen Interesse (§ 2 EEG 2023).",
    "Der Batteriespeicher wird ausschließlich mit Strom aus der Photovoltaikanlage geladen.",
    "Die Windenergieanlage hat eine Gesamthöhe von $Z0 m und eine Nennleistung von $M.",
    "Das Mieterstrommodell setzt voraus, dass der Strom ohne Netzdurchleitung an die Mieter geliefert wird.",
    "Die Wärmepumpe hält die Anforderungen des Gebäudeenergiegesetzes an den Anteil erneuerbarer Energien ein.",
    "Der Ausbau der Photovoltaik auf Dachflächen ist ein zentrales Ziel des Energierechts.",
    "Für Photovoltaik auf Freiflächen gelten die Vorgaben der Ausschreibung nach $P.",
    "Die Einspeisung von Strom aus Photovoltaik ist vorrangig abzunehmen.",
};
const char *const kSentPlanung[] = {
    "Der Plangeber hat die öffentlichen und privaten Belange gerecht gegeneinander und untereinander abgewogen.",
    "Die Konzentrationszone umfasst eine Fläche von $M.",
    "Die Öffentlichkeitsbeteiligung fand in der Zeit vom $D bis zum $D statt.",
    "Ein Abwägungsausfall oder eine Abwägungsdisproportionalität liegt nicht vor.",
    "Die Ziele der Raumordnung sind bei der Bauleitplanung zu beachten.",
    "Der Flächennutzungsplan stellt für das Gebiet eine Sonderbaufläche für Photovoltaik dar.",
    "Die Veränderungssperre dient der Sicherung der Planung für den künftigen Planbereich.",
    "Der Umweltbericht bewertet die Auswirkungen der Planung auf die Schutzgüter nachvollziehbar.",
};
const char *const kSentDenkmal[] = {
    "Das Gebäude ist seit $Y als Baudenkmal in die Denkmalliste eingetragen.",
    "Die Photovoltaikanlage beeinträchtigt das Erscheinungsbild des Denkmals nicht erheblich.",
    "Denkmalschutz und Klimaschutz sind im Rahmen der Abwägung in einen angemessenen Ausgleich zu bringen.",
    "Die untere Denkmalbehörde hat die denkmalrechtliche Erlaubnis unter Auflagen erteilt.",
    "Die Dacheindeckung ist in Material und Farbe an den historischen Bestand anzupassen.",
    "Die Solarmodule sind von der öffentlichen Verkehrsfläche aus nicht einsehbar.",
    "Der Denkmalwert ergibt sich aus der städtebaulichen und künstlerischen Bedeutung des Gebäudes.",
    "Eine reversible Montage der Module schont die historische Bausubstanz.",
};
const char *const kSentWasser[] = {
    "Das Grundstück liegt in einem festgesetzten Überschwemmungsgebiet.",
    "Die Einleitung von Niederschlagswasser in das Gewässer bedarf einer wasserrechtlichen Erlaubnis.",
    "Der Gewässerrandstreifen von $M ist von baulichen Anlagen freizuhalten.",
    "Eine nachteilige Veränderung der Grundwasserbeschaffenheit ist nicht zu besorgen.",
    "Die Versickerung erfolgt über eine belebte Bodenzone.",
    "Der Hochwasserschutz wird durch das Vorhaben nicht beeinträchtigt, da ein Retentionsausgleich erfolgt.",
    "Die Entnahmemenge ist auf $M begrenzt.",
};
const char *const kSentKommunal[] = {
    "Der Gemeinderat hat die Satzung in seiner Sitzung vom $D beschlossen.",
    "Das Bürgerbegehren erreichte das erforderliche Quorum von $M nicht.",
    "Die Gebührenkalkulation ist nicht zu beanstanden.",
    "Ein Ratsmitglied war wegen Befangenheit von der Beratung und Abstimmung ausgeschlossen.",
    "Die Satzung wurde ortsüblich öffentlich bekanntgemacht.",
    "Der Anschluss- und Benutzungszwang ist durch Gründe des öffentlichen Wohls gerechtfertigt.",
    "Der Erschließungsbeitrag wurde nach der Grundstücksfläche bemessen.",
    "Die Kommunalaufsicht hat die Haushaltssatzung genehmigt.",
};

// --- Laws (for gesetz / verordnung) ------------------------------------------
struct Law {
  const char *name;
  const char *source;
  bool verordnung;
};
const Law kLawsVerwaltung[] = {
    {"Verwaltungsverfahrensgesetz (VwVfG)", "bundesrecht", false},
    {"Verwaltungsgerichtsordnung (VwGO)", "bundesrecht", false},
    {"Verwaltungsvollstreckungsgesetz für das Land Nordrhein-Westfalen (VwVG NRW)", "landesrecht-nrw", false},
    {"Allgemeine Verwaltungsgebührenordnung NRW (AVerwGebO NRW)", "landesrecht-nrw", true},
};
const Law kLawsBau[] = {
    {"Baugesetzbuch (BauGB)", "bundesrecht", false},
    {"Bauordnung für das Land Nordrhein-Westfalen (BauO NRW)", "landesrecht-nrw", false},
    {"Bayerische Bauordnung (BayBO)", "landesrecht-bayern", false},
    {"Baunutzungsverordnung (BauNVO)", "bundesrecht", true},
    {"Verordnung über bautechnische Prüfungen (BauPrüfVO)", "landesrecht-nrw", true},
};
const Law kLawsUmwelt[] = {
    {"Bundes-Immissionsschutzgesetz (BImSchG)", "bundesrecht", false},
    {"Bundesnaturschutzgesetz (BNatSchG)", "bundesrecht", false},
    {"Gesetz über die Umweltverträglichkeitsprüfung (UVPG)", "bundesrecht", false},
    {"Verordnung über genehmigungsbedürftige Anlagen (4. BImSchV)", "bundesrecht", true},
    {"Landesnaturschutzgesetz Baden-Württemberg (NatSchG BW)", "landesrecht-bw", false},
};
const Law kLawsEnergie[] = {
    {"Erneuerbare-Energien-Gesetz (EEG 2023)", "bundesrecht", false},
    {"Gebäudeenergiegesetz (GEG)", "bundesrecht", false},
    {"Energiewirtschaftsgesetz (EnWG)", "bundesrecht", false},
    {"Photovoltaik-Pflicht-Verordnung Baden-Württemberg (PVPf-VO)", "landesrecht-bw", true},
    {"Marktstammdatenregisterverordnung (MaStRV)", "bundesrecht", true},
    {"Klimaschutzgesetz Baden-Württemberg (KlimaG BW)", "landesrecht-bw", false},
};
const Law kLawsPlanung[] = {
    {"Raumordnungsgesetz (ROG)", "bundesrecht", false},
    {"Landesplanungsgesetz Nordrhein-Westfalen (LPlG NRW)", "landesrecht-nrw", false},
    {"Raumordnungsverordnung (RoV)", "bundesrecht", true},
    {"Bayerisches Landesplanungsgesetz (BayLplG)", "landesrecht-bayern", false},
};
const Law kLawsDenkmal[] = {
    {"Denkmalschutzgesetz Nordrhein-Westfalen (DSchG NRW)", "landesrecht-nrw", false},
    {"Bayerisches Denkmalschutzgesetz (BayDSchG)", "landesrecht-bayern", false},
    {"Denkmalschutzgesetz Baden-Württemberg (DSchG BW)", "landesrecht-bw", false},
    {"Verordnung über die Denkmalliste (DenkmListVO)", "landesrecht-nrw", true},
};
const Law kLawsWasser[] = {
    {"Wasserhaushaltsgesetz (WHG)", "bundesrecht", false},
    {"Landeswassergesetz Nordrhein-Westfalen (LWG NRW)", "landesrecht-nrw", false},
    {"Abwasserverordnung (AbwV)", "bundesrecht", true},
    {"Verordnung über Anlagen zum Umgang mit wassergefährdenden Stoffen (AwSV)", "bundesrecht", true},
};
const Law kLawsKommunal[] = {
    {"Gemeindeordnung für das Land Nordrhein-Westfalen (GO NRW)", "landesrecht-nrw", false},
    {"Kommunalabgabengesetz für das Land Nordrhein-Westfalen (KAG NRW)", "landesrecht-nrw", false},
    {"Bayerische Gemeindeordnung (GO)", "landesrecht-bayern", false},
    {"Kommunalhaushaltsverordnung NRW (KomHVO NRW)", "landesrecht-nrw", true},
};

// --- Authorities ---------------------------------------------------------------
struct Authority {
  const char *name;  // metadata "behoerde"
  const char *nom;   // with article
  const char *dat;
  const char *source;
};
const Authority kAuthorities[] = {
    {"Stadt Musterstadt", "die Stadt Musterstadt", "der Stadt Musterstadt", "kommune-musterstadt"},
    {"Gemeinde Beispielhausen", "die Gemeinde Beispielhausen", "der Gemeinde Beispielhausen", "kommune-beispielhausen"},
    {"Untere Bauaufsichtsbehörde Kreis Musterkreis", "die untere Bauaufsichtsbehörde des Kreises Musterkreis",
     "der unteren Bauaufsichtsbehörde des Kreises Musterkreis", "kreis-musterkreis"},
    {"Bezirksregierung Köln", "die Bezirksregierung Köln", "der Bezirksregierung Köln", "bezirksregierung-koeln"},
    {"Untere Denkmalbehörde Stadt Musterstadt", "die untere Denkmalbehörde der Stadt Musterstadt",
     "der unteren Denkmalbehörde der Stadt Musterstadt", "kommune-musterstadt"},
    {"Landesamt für Umwelt", "die Immissionsschutzbehörde des Landesamts für Umwelt",
     "der Immissionsschutzbehörde des Landesamts für Umwelt", "landesamt-umwelt"},
    {"Bundesnetzagentur", "die Bundesnetzagentur", "der Bundesnetzagentur", "bundesnetzagentur"},
    {"Untere Wasserbehörde Kreis Musterkreis", "die untere Wasserbehörde des Kreises Musterkreis",
     "der unteren Wasserbehörde des Kreises Musterkreis", "kreis-musterkreis"},
    {"Stadtverwaltung Beispielburg", "die Stadtverwaltung Beispielburg", "der Stadtverwaltung Beispielburg",
     "kommune-beispielburg"},
    {"Regierungspräsidium Freiburg", "die Höhere Verwaltungsbehörde beim Regierungspräsidium Freiburg",
     "der Höheren Verwaltungsbehörde beim Regierungspräsidium Freiburg", "rp-freiburg"},
};
enum AuthId : uint8_t { A_STADT, A_GEMEINDE, A_BAUAUFSICHT, A_BEZREG, A_DENKMAL, A_UMWELT, A_BNETZA, A_WASSER, A_BURG, A_RP };
const uint8_t kAuthVerwaltung[] = {A_STADT, A_GEMEINDE, A_BEZREG, A_BURG, A_RP};
const uint8_t kAuthBau[] = {A_BAUAUFSICHT, A_STADT, A_BURG, A_GEMEINDE};
const uint8_t kAuthUmwelt[] = {A_UMWELT, A_BEZREG, A_RP};
const uint8_t kAuthEnergie[] = {A_BNETZA, A_BAUAUFSICHT, A_STADT, A_UMWELT};
const uint8_t kAuthPlanung[] = {A_BEZREG, A_RP, A_STADT, A_GEMEINDE};
const uint8_t kAuthDenkmal[] = {A_DENKMAL, A_STADT};
const uint8_t kAuthWasser[] = {A_WASSER, A_BEZREG};
const uint8_t kAuthKommunal[] = {A_STADT, A_GEMEINDE, A_BURG};

// --- Courts ----------------------------------------------------------------
enum CourtKind : uint8_t { C_BVERWG, C_OVG, C_VGH_BW, C_BAYVGH, C_VG };
struct Court {
  const char *name;
  const char *source;
  CourtKind kind;
};
const Court kCourts[] = {
    {"BVerwG", "bverwg", C_BVERWG},
    {"OVG NRW", "ovg-nrw", C_OVG},
    {"OVG Lüneburg", "ovg-niedersachsen", C_OVG},
    {"VGH Baden-Württemberg", "vgh-bw", C_VGH_BW},
    {"BayVGH", "bayvgh", C_BAYVGH},
    {"VG Musterstadt", "vg-musterstadt", C_VG},
    {"VG Köln", "vg-koeln", C_VG},
    {"VG München", "vg-muenchen", C_VG},
    {"VG Freiburg", "vg-freiburg", C_VG},
    {"VG Leipzig", "vg-leipzig", C_VG},
};
const uint16_t kCourtWeights[] = {12, 10, 6, 6, 6, 20, 12, 10, 9, 9};

const char *const kKommentarSources[] = {"fachverlag-recht", "fachzeitschrift-verwaltung", "uni-musterstadt",
                                         "kommentar-online"};
const char *const kMerkblattSources[] = {"energieagentur-nrw", "verbraucherzentrale", "ihk-musterstadt"};

// --- English (EU directive summaries) -------------------------------------------
struct EnAct {
  const char *title;
  const char *celex;
};
const EnAct kEnActsEnergie[] = {
    {"Directive (EU) 2018/2001 on the promotion of the use of energy from renewable sources", "32018L2001"},
    {"Directive (EU) 2019/944 on common rules for the internal market for electricity", "32019L0944"},
    {"Directive (EU) 2023/1791 on energy efficiency", "32023L1791"},
    {"Directive (EU) 2023/2413 amending Directive (EU) 2018/2001 as regards the promotion of energy from renewable sources",
     "32023L2413"},
};
const EnAct kEnActsUmwelt[] = {
    {"Directive 2011/92/EU on the assessment of the effects of certain public and private projects on the environment",
     "32011L0092"},
    {"Directive 2010/75/EU on industrial emissions", "32010L0075"},
    {"Directive 92/43/EEC on the conservation of natural habitats and of wild fauna and flora", "31992L0043"},
    {"Directive 2008/50/EC on ambient air quality and cleaner air for Europe", "32008L0050"},
};
const EnAct kEnActsBau[] = {
    {"Directive (EU) 2024/1275 on the energy performance of buildings", "32024L1275"},
    {"Directive 2010/31/EU on the energy performance of buildings", "32010L0031"},
};
const EnAct kEnActsWasser[] = {
    {"Directive 2000/60/EC establishing a framework for Community action in the field of water policy", "32000L0060"},
    {"Directive 2007/60/EC on the assessment and management of flood risks", "32007L0060"},
};
const EnAct kEnActsVerwaltung[] = {
    {"Directive 2003/4/EC on public access to environmental information", "32003L0004"},
    {"Directive 2006/123/EC on services in the internal market", "32006L0123"},
};
const char *const kEnTermsEnergie[] = {"renewable energy", "solar photovoltaic installations", "rooftop solar systems",
                                       "grid connection", "self-consumption", "renewable energy communities",
                                       "permit-granting procedures", "feed-in support schemes", "energy storage",
                                       "heat pumps", "offshore wind", "guarantees of origin"};
const char *const kEnTermsUmwelt[] = {"environmental impact assessment", "industrial emissions", "best available techniques",
                                      "emission limit values", "protected habitats", "air quality plans",
                                      "public participation", "biodiversity", "noise exposure"};
const char *const kEnTermsBau[] = {"energy performance certificates", "nearly zero-energy buildings",
                                   "zero-emission buildings", "building renovation", "solar energy installations on buildings",
                                   "minimum energy performance standards"};
const char *const kEnTermsWasser[] = {"river basin management plans", "flood risk maps", "good ecological status",
                                      "groundwater protection", "water abstraction"};
const char *const kEnTermsVerwaltung[] = {"access to environmental information", "administrative procedures",
                                          "single points of contact", "authorisation schemes", "review procedures"};

const char *const kEnSentences[] = {
    "The directive requires Member States to ensure that rules on $e are transparent, proportionate and non-discriminatory.",
    "Member States must report to the European Commission on the progress made regarding $e every $z years.",
    "National authorities should simplify the procedures for $e and keep their total duration below $Z months.",
    "The provisions on $e apply without prejudice to national rules on $e.",
    "Citizens, local communities and non-governmental organisations have the right to participate in decisions concerning $e.",
    "The Commission will review the framework for $e by $Y.",
    "Where $e may affect protected areas, an appropriate assessment is required before authorisation.",
    "The directive sets out a common framework for $e across the European Union.",
    "Member States shall designate one or more contact points to guide applicants through the procedures for $e.",
    "Information on $e must be made available to the public free of charge and in an accessible format.",
    "Penalties for infringements of the national provisions on $e must be effective, proportionate and dissuasive.",
    "In addition, the directive encourages cooperation between Member States on $e.",
    "The Commission adopted guidance on $e in $Y to support a consistent implementation.",
    "As a result, investment in $e is expected to increase significantly over the coming decade.",
    "The rules also cover $e, which were previously regulated only at national level.",
    "Small installations and households benefit from simplified notification procedures for $e.",
    "Member States may adopt more stringent measures on $e, provided that they are compatible with the Treaties.",
    "The directive introduces minimum requirements for $e and leaves the choice of instruments to national authorities.",
    "Operators must keep records on $e and make them available to the competent authority on request.",
    "A committee of national experts assists the Commission in monitoring $e.",
    "Cross-border projects concerning $e require consultation of the neighbouring Member States.",
    "Financial support for $e must comply with the rules on State aid.",
    "Data on $e are published annually in a central European database.",
    "The competent authorities must decide on complete applications within a reasonable time limit.",
    "Administrative decisions may be challenged before a court or another independent and impartial body.",
    "Stakeholders were consulted extensively before the proposal was adopted.",
    "The impact assessment concluded that the benefits clearly outweigh the costs of implementation.",
    "Transitional arrangements apply to installations that were authorised before the entry into force.",
};
const char *const kEnAims[] = {
    "It aims to promote $e while ensuring a high level of protection of human health and the environment.",
    "It aims to create a level playing field for $e in the internal market.",
    "It aims to reduce administrative burden and to accelerate decisions on $e.",
};

// --- German general sentences (all domains) -------------------------------------
const char *const kSentGeneral[] = {
    "Die Klägerin wendet sich gegen den Bescheid vom $D.",
    "Nach $P ist $n nur zulässig, wenn öffentliche Belange nicht entgegenstehen.",
    "$A ist im vorliegenden Fall nicht zu beanstanden.",
    "Hinsichtlich $c bestehen keine durchgreifenden rechtlichen Bedenken.",
    "Der angefochtene Bescheid ist $J und verletzt die Klägerin nicht in ihren Rechten.",
    "Ein Verstoß gegen $P liegt entgegen der Auffassung der Beteiligten nicht vor.",
    "Es kommt daher nicht entscheidungserheblich darauf an, ob $n den Anforderungen des $P genügt.",
    "Die tatbestandlichen Voraussetzungen des $P liegen vor.",
    "$W hat mit Schreiben vom $D mitgeteilt, dass das Vorhaben nicht genehmigungsfähig sei.",
    "Zur Begründung führt $B im Wesentlichen aus, $n sei mit den öffentlich-rechtlichen Vorschriften nicht vereinbar.",
    "Die Abwägung der widerstreitenden Interessen fällt zugunsten der Klägerin aus.",
    "Im Rahmen der Verhältnismäßigkeitsprüfung ist zu berücksichtigen, dass mildere, gleich geeignete Mittel nicht zur Verfügung stehen.",
    "Das Gericht folgt insoweit der ständigen Rechtsprechung ($C).",
    "Dies entspricht der überwiegenden Auffassung in Rechtsprechung und Literatur ($C).",
    "Die Frist von einem Monat wurde gewahrt.",
    "Auch unter Berücksichtigung $c ergibt sich keine abweichende Beurteilung.",
    "Die Ausführungen der Beteiligten zu $b überzeugen nicht.",
    "Bei $d handelt es sich um einen zentralen Gesichtspunkt des Verfahrens.",
    "Die Behörde war verpflichtet, den Sachverhalt von Amts wegen aufzuklären (§ 24 VwVfG).",
    "Der Einwand, $n sei bereits bestandskräftig geregelt, greift nicht durch.",
    "Die Beteiligten wurden mit Schreiben vom $D angehört.",
    "Eine abweichende Entscheidung ist auch im Hinblick auf den Gleichbehandlungsgrundsatz nicht geboten.",
    "Die Sach- und Rechtslage hat sich seit Erlass des Bescheids nicht wesentlich geändert.",
    "Maßgeblich ist insoweit die Sach- und Rechtslage im Zeitpunkt der letzten mündlichen Verhandlung.",
    "Soweit die Klägerin geltend macht, $n sei unzureichend berücksichtigt worden, folgt das Gericht dem nicht.",
    "Anhaltspunkte für einen Ermessensfehlgebrauch sind weder vorgetragen noch sonst ersichtlich.",
    "Die Entscheidung steht im pflichtgemäßen Ermessen der zuständigen Behörde.",
    "Mit $d sind nach den vorliegenden Gutachten keine unzumutbaren Nachteile für die Nachbarschaft verbunden.",
    "Die Bedeutung $g ist auch im allgemeinen Verwaltungsrecht seit langem anerkannt.",
    "Der Vortrag im Widerspruchsverfahren rechtfertigt keine andere Bewertung.",
    "Eine Verletzung subjektiver Rechte der Klägerin ist nicht festzustellen.",
    "Insbesondere ist die Regelung zu $b hinreichend bestimmt im Sinne des § 37 Abs. 1 VwVfG.",
    "Der maßgebliche Wert beträgt nach den vorliegenden Unterlagen $M.",
    "Ergänzend ist auf die Stellungnahme der Fachbehörde vom $D hinzuweisen.",
    "Im $R gilt insoweit nichts anderes als in vergleichbaren Fallgestaltungen.",
    "Die Frage, ob $n im Einzelfall zulässig ist, bedarf einer umfassenden Würdigung aller Umstände.",
    "Der Beklagte hat die Belange $g zutreffend gewichtet.",
    "Das Vorhabengrundstück befindet sich in $O, Gemarkung $O, Flur $Z, Flurstück $Z.",
    "Die Einwendungen wurden im Erörterungstermin am $D ausführlich behandelt.",
    "Wegen der weiteren Einzelheiten wird auf die Gerichtsakte und die beigezogenen Verwaltungsvorgänge Bezug genommen.",
    "Eine Ausnahme oder Befreiung nach $P kommt nicht in Betracht.",
    "Die Rechtmäßigkeit $g ist nach den Vorschriften des $S zu beurteilen.",
    "Die Anforderungen an $k und $k sind in der Rechtsprechung geklärt.",
    "Die Behörde hat insbesondere Aspekte wie $k, $k und $k in ihre Entscheidung einbezogen.",
};
const char *const kJudgements[] = {"rechtmäßig", "formell und materiell rechtmäßig", "ermessensfehlerfrei",
                                   "hinreichend bestimmt", "verhältnismäßig", "nicht zu beanstanden"};

const char *const kSentTopic[] = {
    "Streitgegenstand ist $T.",
    "$U ist nach Auffassung der Kammer genehmigungsfähig.",
    "Die Zulässigkeit $u richtet sich nach $P.",
    "Die Beteiligten streiten über die Zulässigkeit $u.",
    "Mit $t sind keine unzumutbaren Beeinträchtigungen der Nachbarn verbunden.",
    "Die Klägerin begehrt eine Genehmigung für $V.",
    "Für $V gelten die allgemeinen Anforderungen des $S.",
    "Die Entscheidung über $V hat erhebliche Bedeutung für die Praxis im $R.",
};
const char *const kSentTatbestand[] = {
    "Die Klägerin ist Eigentümerin eines Grundstücks in $O.",
    "Am $D beantragte sie bei $E die Genehmigung für $V.",
    "Mit Bescheid vom $D lehnte $B den Antrag ab.",
    "Den hiergegen erhobenen Widerspruch wies $B mit Widerspruchsbescheid vom $D zurück.",
    "Die Klägerin hat am $D Klage erhoben.",
    "Sie trägt vor, $n sei fehlerhaft beurteilt worden.",
    "Die Klägerin beantragt, den Bescheid vom $D aufzuheben und den Beklagten zur Erteilung der Genehmigung zu verpflichten.",
    "Der Beklagte beantragt, die Klage abzuweisen.",
    "Er verteidigt den angefochtenen Bescheid und verweist auf $P.",
    "Die Kammer hat am $D eine Ortsbesichtigung durchgeführt.",
};
const char *const kSentKommentar[] = {
    "Die Vorschrift dient dem Schutz $g und konkretisiert $P.",
    "Nach überwiegender Ansicht ist der Begriff weit auszulegen ($C).",
    "In der Praxis bereitet insbesondere die Abgrenzung zwischen $d und $d Schwierigkeiten.",
    "Der Gesetzgeber hat die Regelung im Jahr $Y grundlegend überarbeitet.",
    "Die Rechtsprechung hat diese Auslegung wiederholt bestätigt ($C).",
    "Umstritten ist, ob $n auch dann erfasst ist, wenn die Anlage nur vorübergehend betrieben wird.",
    "Für die Praxis empfiehlt es sich, frühzeitig eine Bauvoranfrage zu stellen.",
    "Die Kommentierung berücksichtigt Rechtsprechung und Literatur bis einschließlich $Y.",
    "Systematisch steht die Norm im Zusammenhang mit $P.",
    "Zu beachten ist, dass $n nicht isoliert, sondern im Zusammenhang mit $d zu würdigen ist.",
};
const char *const kSentGesetz[] = {
    "$N bedarf der Genehmigung durch die zuständige Behörde.",
    "Die Genehmigung ist zu erteilen, wenn die Vorschriften dieses Gesetzes und sonstige öffentlich-rechtliche Vorschriften nicht entgegenstehen.",
    "Ausnahmen können zugelassen werden, soweit Belange $g nicht entgegenstehen.",
    "Das Nähere regelt die Landesregierung durch Rechtsverordnung.",
    "Ordnungswidrig handelt, wer vorsätzlich oder fahrlässig entgegen Absatz $z eine Anlage ohne die erforderliche Genehmigung errichtet oder betreibt.",
    "Die Ordnungswidrigkeit kann mit einer Geldbuße bis zu $Z0.000 Euro geahndet werden.",
    "Zuständig für den Vollzug dieses Gesetzes sind die unteren Verwaltungsbehörden.",
    "Bei der Entscheidung über $V sind die Belange des Klimaschutzes besonders zu berücksichtigen.",
    "Die Vorschriften des Verwaltungsverfahrensgesetzes bleiben unberührt.",
    "Der Antrag ist schriftlich oder elektronisch mit allen für die Beurteilung erforderlichen Unterlagen einzureichen.",
    "Die Behörde entscheidet innerhalb von $z Monaten nach Eingang der vollständigen Unterlagen.",
    "$N ist so zu errichten und zu unterhalten, dass die öffentliche Sicherheit und Ordnung nicht gefährdet wird.",
    "Im Sinne dieses Gesetzes ist $n jede Einrichtung, die dem in Absatz $z genannten Zweck dient.",
    "Die Landesregierung wird ermächtigt, Einzelheiten zu $b durch Rechtsverordnung zu regeln.",
    "Soweit $P nichts anderes bestimmt, gelten die Vorschriften des $S entsprechend.",
    "Wer $V errichten will, hat dies der zuständigen Behörde spätestens $z Wochen vorher anzuzeigen.",
    "Die Anzeige muss Angaben zu Art, Umfang und Standort des Vorhabens enthalten.",
    "Eine Genehmigung nach diesem Gesetz schließt andere behördliche Entscheidungen nicht ein.",
    "Die Behörde kann die Genehmigung mit Nebenbestimmungen versehen, soweit dies zur Erfüllung der Voraussetzungen erforderlich ist.",
    "Bestehende Anlagen genießen Bestandsschutz, solange sie nicht wesentlich geändert werden.",
    "Die Eigentümer und Nutzungsberechtigten haben den Bediensteten der Behörde den Zutritt zu gestatten.",
    "Für Amtshandlungen nach diesem Gesetz werden Gebühren und Auslagen erhoben.",
    "Die Gemeinden können durch Satzung weitergehende Anforderungen an $V stellen.",
    "Verfahren, die vor dem Inkrafttreten dieses Gesetzes begonnen wurden, werden nach bisherigem Recht zu Ende geführt.",
    "Das für $R zuständige Ministerium erlässt die zur Durchführung erforderlichen Verwaltungsvorschriften.",
    "Die Behörde überwacht die Einhaltung der Vorschriften dieses Gesetzes und trifft die erforderlichen Anordnungen.",
    "Personenbezogene Daten dürfen nur verarbeitet werden, soweit dies zur Erfüllung der Aufgaben nach diesem Gesetz erforderlich ist.",
    "Dieses Gesetz tritt am Tag nach seiner Verkündung in Kraft.",
};
const char *const kLawHeadings[] = {"Anwendungsbereich", "Begriffsbestimmungen", "Zuständigkeit",  "Genehmigungspflicht",
                                    "Ausnahmen und Befreiungen", "Antragsunterlagen", "Verfahren", "Ordnungswidrigkeiten",
                                    "Übergangsvorschriften", "Anforderungen an Anlagen"};
const char *const kSentBescheid[] = {
    "Die sofortige Vollziehung dieses Bescheids wird angeordnet.",
    "Die Genehmigung erlischt, wenn mit der Ausführung nicht innerhalb von $z Jahren begonnen wird.",
    "Der Beginn der Arbeiten ist der Behörde mindestens eine Woche vorher schriftlich anzuzeigen.",
    "Die Bauvorlagen sind Bestandteil dieses Bescheids.",
    "Die Nebenbestimmungen sind zu beachten; ihre Nichtbeachtung kann zum Widerruf führen.",
    "Die Anlage ist nach den anerkannten Regeln der Technik auszuführen.",
};
const char *const kSentMerkblatt[] = {
    "Die Bearbeitungsdauer beträgt in der Regel $z bis $Z Wochen.",
    "Bitte reichen Sie die Unterlagen vollständig ein, da sich das Verfahren sonst verzögert.",
    "Für Fragen steht Ihnen $B gerne zur Verfügung.",
    "Die Gebühren richten sich nach dem Wert des Vorhabens.",
    "Vor Beginn der Planung empfiehlt sich ein Beratungsgespräch.",
    "Viele Vorhaben sind verfahrensfrei, müssen aber dennoch die öffentlich-rechtlichen Vorschriften einhalten.",
    "Weitere Informationen erhalten Sie auf der Internetseite Ihrer Gemeinde.",
};
const char *const kMerkblattQuestions[] = {"Wann ist eine Genehmigung erforderlich?", "Welche Unterlagen werden benötigt?",
                                           "Wie lange dauert das Verfahren?", "Welche Kosten entstehen?",
                                           "Wer ist zuständig?", "Was gilt im Denkmalbereich?"};
const char *const kMerkblattItems[] = {"- Lageplan im Maßstab 1:500", "- Bauzeichnungen und Baubeschreibung",
                                       "- Nachweis der Standsicherheit", "- Datenblatt des Wechselrichters",
                                       "- Stellungnahme der Denkmalbehörde", "- Schallgutachten",
                                       "- Nachweis der Eigentumsverhältnisse", "- Fotos des Bestands",
                                       "- Entwässerungsplan", "- Berechnung der Abstandsflächen"};
const char *const kSentBeschluss[] = {
    "Der Antrag nach § 80 Abs. 5 VwGO ist zulässig, aber unbegründet.",
    "Das öffentliche Interesse an der sofortigen Vollziehung überwiegt das Aussetzungsinteresse der Antragstellerin.",
    "Bei summarischer Prüfung bestehen keine ernstlichen Zweifel an der Rechtmäßigkeit des Bescheids.",
    "Die Anordnung der sofortigen Vollziehung ist ausreichend schriftlich begründet worden.",
    "Die Erfolgsaussichten in der Hauptsache sind allenfalls offen.",
};

const char *const kPlaces[] = {"Musterstadt", "Beispielhausen", "Beispielburg", "Neustadt am Mühlbach",
                               "Altdorf",     "Kleinmusterdorf", "Musterhafen", "Bergheim-Süd"};

// --- Boilerplate lines -------------------------------------------------------
const char *const kBoilerHeadDe[] = {
    "Zum Inhalt springen",
    "Menü | Suche | Kontakt | Leichte Sprache",
    "Diese Website verwendet Cookies. Einige von ihnen sind essenziell, während andere uns helfen, diese Website und Ihre Erfahrung zu verbessern.",
    "Alle akzeptieren | Nur essenzielle Cookies akzeptieren | Individuelle Datenschutzeinstellungen",
    "Cookie-Einstellungen",
    "JavaScript ist deaktiviert. Bitte aktivieren Sie JavaScript, um alle Funktionen nutzen zu können.",
    "Sie befinden sich hier: Startseite > Bürgerservice > Bauen und Wohnen",
    "Schriftgröße: A A A | Kontrast",
};
const char *const kBoilerFootDe[] = {
    "Impressum | Datenschutzerklärung | Barrierefreiheit | Kontakt | Sitemap",
    "Drucken | Teilen | Nach oben",
    "Newsletter abonnieren",
    "Folgen Sie uns auf Facebook, Instagram und YouTube",
    "Datenschutzhinweis: Wir verarbeiten Ihre personenbezogenen Daten gemäß Art. 6 Abs. 1 DSGVO.",
    "Weitere Informationen finden Sie in unserer Datenschutzerklärung.",
    "Alle Angaben ohne Gewähr.",
    "Zurück zur Übersicht",
    "Diese Seite teilen: E-Mail | Facebook | X | WhatsApp",
};
const char *const kBoilerHeadEn[] = {
    "Skip to main content",
    "This website uses cookies to improve your experience. By continuing to browse the site you agree to our use of cookies.",
    "Accept all cookies | Reject non-essential cookies | Cookie settings",
    "You are here: Home > Law > Summaries of EU legislation",
    "Menu | Search | Languages",
};
const char *const kBoilerFootEn[] = {
    "Legal notice | Privacy policy | Accessibility | Contact",
    "Share this page | Print | Back to top",
    "Subscribe to our newsletter",
    "Follow us on social media",
    "Was this page helpful? Yes | No",
};

// --- Stubs and garbage -------------------------------------------------------
const char *const kStubSentences[] = {
    "Dokument in Bearbeitung.",
    "Der Volltext ist derzeit nicht verfügbar.",
    "Siehe Anlage zum Bescheid vom $D.",
    "Inhalt folgt, bitte später erneut versuchen.",
    "Entwurf: $k, Stellungnahme folgt.",
    "Kein Text vorhanden, nur Deckblatt gescannt.",
    "Leitsatz: $N ist zulässig.",
};
const char *const kStubWords[] = {"Entwurf", "siehe", "Anlage", "folgt", "vgl.", "Bescheid", "Az.", "TODO",
                                  "Seite", "Dokument", "Stand", "Nr.", "Musterstadt", "Kopie", "Notiz", "intern"};
const char *const kGarbageLines[] = {
    "Bitte aktivieren Sie JavaScript, um diese Seite anzuzeigen.",
    "Fehler 404 - Seite nicht gefunden",
    "Loading...",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "<div class=\"content\"><span>&nbsp;</span></div>",
    "NULL",
    "Seite wird geladen ...",
    "Access denied",
    "=== SCAN FEHLER ===",
};
const char kGarbageSymbols[] = "#%&*@!~^|<>{}[]()=+-_/\\;:?$\"'.,0123456789 ";
const char kGarbageAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

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
    {"verwaltungsrecht", "Verwaltungsrecht", "Verwaltungsrechts", span_of(kNounsVerwaltung), span_of(kTopicsVerwaltung),
     span_of(kNormsVerwaltung), span_of(kMeasuresVerwaltung), span_of(kSentVerwaltung), span_of(kLawsVerwaltung),
     span_of(kAuthVerwaltung), {D_KOMMUNAL, D_BAU}, span_of(kEnActsVerwaltung), span_of(kEnTermsVerwaltung)},
    {"baurecht", "Baurecht", "Baurechts", span_of(kNounsBau), span_of(kTopicsBau), span_of(kNormsBau),
     span_of(kMeasuresBau), span_of(kSentBau), span_of(kLawsBau), span_of(kAuthBau), {D_DENKMAL, D_ENERGIE},
     span_of(kEnActsBau), span_of(kEnTermsBau)},
    {"umweltrecht", "Umweltrecht", "Umweltrechts", span_of(kNounsUmwelt), span_of(kTopicsUmwelt), span_of(kNormsUmwelt),
     span_of(kMeasuresUmwelt), span_of(kSentUmwelt), span_of(kLawsUmwelt), span_of(kAuthUmwelt), {D_ENERGIE, D_WASSER},
     span_of(kEnActsUmwelt), span_of(kEnTermsUmwelt)},
    {"energierecht", "Energierecht", "Energierechts", span_of(kNounsEnergie), span_of(kTopicsEnergie),
     span_of(kNormsEnergie), span_of(kMeasuresEnergie), span_of(kSentEnergie), span_of(kLawsEnergie),
     span_of(kAuthEnergie), {D_BAU, D_UMWELT}, span_of(kEnActsEnergie), span_of(kEnTermsEnergie)},
    {"planungsrecht", "Planungsrecht", "Planungsrechts", span_of(kNounsPlanung), span_of(kTopicsPlanung),
     span_of(kNormsPlanung), span_of(kMeasuresPlanung), span_of(kSentPlanung), span_of(kLawsPlanung),
     span_of(kAuthPlanung), {D_BAU, D_ENERGIE}, kNoActs, kNoTerms},
    {"denkmalschutzrecht", "Denkmalschutzrecht", "Denkmalschutzrechts", span_of(kNounsDenkmal), span_of(kTopicsDenkmal),
     span_of(kNormsDenkmal), span_of(kMeasuresDenkmal), span_of(kSentDenkmal), span_of(kLawsDenkmal),
     span_of(kAuthDenkmal), {D_BAU, D_ENERGIE}, kNoActs, kNoTerms},
    {"wasserrecht", "Wasserrecht", "Wasserrechts", span_of(kNounsWasser), span_of(kTopicsWasser), span_of(kNormsWasser),
     span_of(kMeasuresWasser), span_of(kSentWasser), span_of(kLawsWasser), span_of(kAuthWasser), {D_UMWELT, D_BAU},
     span_of(kEnActsWasser), span_of(kEnTermsWasser)},
    {"kommunalrecht", "Kommunalrecht", "Kommunalrechts", span_of(kNounsKommunal), span_of(kTopicsKommunal),
     span_of(kNormsKommunal), span_of(kMeasuresKommunal), span_of(kSentKommunal), span_of(kLawsKommunal),
     span_of(kAuthKommunal), {D_VERWALTUNG, D_ENERGIE}, kNoActs, kNoTerms},
};
const uint16_t kDomainWeights[] = {18, 20, 15, 17, 8, 7, 7, 8};
// English documents: only domains with EU acts.
const uint8_t kEnDomains[] = {D_ENERGIE, D_UMWELT, D_BAU, D_WASSER, D_VERWALTUNG};
const uint16_t kEnDomainWeights[] = {35, 30, 15, 10, 10};

enum TypeId : uint8_t { T_URTEIL, T_BESCHLUSS, T_GESETZ, T_VERORDNUNG, T_BESCHEID, T_KOMMENTAR, T_MERKBLATT, T_RICHTLINIE };
const char *const kTypeNames[] = {"urteil",    "beschluss", "gesetz",    "verordnung",
                                  "bescheid",  "kommentar", "merkblatt", "richtlinie"};
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
    case 'n': { const Noun &n = c.domain_noun(); put(o, art_nom(n.g)); put(o, n.base); break; }
    case 'N': { const Noun &n = c.domain_noun(); put(o, art_nom_cap(n.g)); put(o, n.base); break; }
    case 'd': { const Noun &n = c.domain_noun(); put(o, art_dat(n.g)); put(o, n.base); break; }
    case 'g': { const Noun &n = c.domain_noun(); put(o, art_gen(n.g)); put(o, gen_form(n)); break; }
    case 'k': put(o, c.domain_noun().base); break;
    case 'a': { const Noun &n = c.general_noun(); put(o, art_nom(n.g)); put(o, n.base); break; }
    case 'A': { const Noun &n = c.general_noun(); put(o, art_nom_cap(n.g)); put(o, n.base); break; }
    case 'b': { const Noun &n = c.general_noun(); put(o, art_dat(n.g)); put(o, n.base); break; }
    case 'c': { const Noun &n = c.general_noun(); put(o, art_gen(n.g)); put(o, gen_form(n)); break; }
    case 'T': put(o, art_nom(c.topic().g)); put(o, c.topic().nom); break;
    case 'U': put(o, art_nom_cap(c.topic().g)); put(o, c.topic().nom); break;
    case 't': put(o, art_dat(c.topic().g)); put(o, c.topic().nom); break;
    case 'u': put(o, art_gen(c.topic().g)); put(o, topic_gen(c.topic())); break;
    case 'V': put(o, art_acc(c.topic().g)); put(o, c.topic().nom); break;
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
    default: o.push_back('$'); o.push_back(slot); break;
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
      if (u < 45) pick_expand(o, c, span_of(kSentGeneral));
      else if (u < 85) pick_expand(o, c, c.dom.sentences);
      else pick_expand(o, c, span_of(kSentTopic));
    }
  }
}

void para_break(std::string &o) { o.append("\n\n"); }

// Body length: most documents medium, some short, some long.
uint32_t length_factor(Rng &r) {
  uint32_t u = r.below(100);
  if (u < 15) return 1;   // short
  if (u < 78) return 2;   // medium
  return 4;               // long
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
    put(o, "Die Klage wird abgewiesen. Die Klägerin trägt die Kosten des Verfahrens. "
           "Das Urteil ist wegen der Kosten vorläufig vollstreckbar.");
  } else {
    expand(o, c, "Der Bescheid $E vom $D wird aufgehoben. Der Beklagte trägt die Kosten des Verfahrens. "
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
    if (c.r.below(3) == 0) put(o, c.domain_noun().base);
    else put(o, kLawHeadings[c.r.below(static_cast<uint32_t>(std::size(kLawHeadings)))]);
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
  expand(o, c, "\n\nIII. Kosten\n\nFür diesen Bescheid wird eine Verwaltungsgebühr in Höhe von $Z5,00 Euro festgesetzt.");
  put(o, "\n\nRechtsbehelfsbelehrung\n\nGegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
         "Widerspruch erhoben werden. Der Widerspruch ist schriftlich oder zur Niederschrift bei ");
  put(o, a.dat);
  put(o, " einzulegen.\n\nMit freundlichen Grüßen\nIm Auftrag");
}

void body_kommentar(std::string &o, Ctx &c) {
  uint32_t lf = length_factor(c.r);
  put(o, c.dom.norms[c.h.norm]);
  put(o, " – Kommentierung");
  para_break(o);
  static const char *const kParts[] = {"A. Allgemeines", "B. Normzweck", "C. Voraussetzungen", "D. Rechtsfolgen",
                                       "E. Verfahren", "F. Praxishinweise"};
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
    if (c.r.below(2) && !std::strchr(noun, ' ')) put(o, noun);
    else put(o, kStubWords[c.r.below(static_cast<uint32_t>(std::size(kStubWords)))]);
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
      if (u == 0) put(o, "€");
      else if (u == 1) put(o, "§");
      else if (u == 2) o.push_back('\n');
      else if (u == 3) o.push_back('\t');
      else o.push_back(kGarbageSymbols[c.r.below(sizeof kGarbageSymbols - 1)]);
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
        if (u < 6) o.push_back('\n');
        else if (u < 16) o.push_back(' ');
        if (ch == 'l' && u < 40) { o.push_back('1'); continue; }
        if (ch == 'o' && u < 30) { o.push_back('0'); continue; }
        if (ch == 'e' && u < 20) { o.push_back('c'); continue; }
        if (ch == ' ' && u < 15) { o.append(" | "); continue; }
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
      static const char *const kInserts[] = {" Dies gilt auch für vergleichbare Fälle.",
                                             " Hierauf wird ausdrücklich hingewiesen.",
                                             " (Redaktionell überarbeitete Fassung.)",
                                             " Einzelheiten ergeben sich aus der Anlage.",
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
    if (meta.below(3)) put_title(doc.title, h);
    else doc.title.append(meta.below(2) ? "Entwurf" : "Ohne Titel");
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
    case 0: doc.title.append("scan_"); put_uint_pad(doc.title, meta.below(100000), 5); doc.title.append(".pdf"); break;
    case 1: doc.title.append("Dokument "); put_uint(doc.title, index); break;
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
