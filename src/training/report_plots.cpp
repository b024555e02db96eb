// The evaluation's pictures, drawn with PLplot (Debian's libplplot-dev, C++
// binding, PNG through its Cairo driver): axes, ticks, labels, legends and
// colour bars come from a plotting library that has drawn them for decades,
// not from lines placed by hand.
#include "training/report_plots.h"

#include <plplot/plstream.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace ce {
namespace {

enum Colour { kWhite = 0, kBlack = 1, kBlue = 2, kRed = 3, kGrey = 4, kGreen = 5 };

// A white page of width x height pixels, written to `path` when it ends.
struct Page {
  plstream pls;
  Page(const std::string& path, int width, int height) {
    pls.sdev("pngcairo");
    pls.sfnam(path.c_str());
    pls.spage(0, 0, width, height, 0, 0);
    pls.scolbg(255, 255, 255);
    pls.init();
    pls.scol0(kBlack, 0, 0, 0);
    pls.scol0(kBlue, 31, 119, 180);
    pls.scol0(kRed, 214, 39, 40);
    pls.scol0(kGrey, 150, 150, 150);
    pls.scol0(kGreen, 44, 160, 44);
    pls.col0(kBlack);
    pls.adv(0);
  }
};

void legend(plstream& pls, std::vector<std::string> texts, std::vector<int> colours,
            std::vector<int> styles, std::vector<bool> boxes) {
  const int n = static_cast<int>(texts.size());
  std::vector<PLINT> opt(n), text_colors(n, kBlack), line_colors(colours.begin(), colours.end()),
      line_styles(styles.begin(), styles.end()), box_colors(colours.begin(), colours.end()),
      box_patterns(n, 0);
  std::vector<PLFLT> line_widths(n, 2.0), box_scales(n, 0.8), box_widths(n, 1.0);
  std::vector<const char*> text(n);
  for (int i = 0; i < n; ++i) {
    opt[i] = boxes[i] ? PL_LEGEND_COLOR_BOX : PL_LEGEND_LINE;
    text[i] = texts[i].c_str();
  }
  PLFLT w, h;
  pls.legend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_INSIDE | PL_POSITION_TOP | PL_POSITION_LEFT, 0.02, 0.02, 0.1, kWhite,
             kBlack, 1, 0, 0, n, opt.data(), 1.0, 0.9, 1.8, 0.0, text_colors.data(), text.data(),
             box_colors.data(), box_patterns.data(), box_scales.data(), box_widths.data(),
             line_colors.data(), line_styles.data(), line_widths.data(), nullptr, nullptr, nullptr,
             nullptr);
}

}  // namespace

ConfusionPicture plot_confusion(const std::string& path,
                                const std::vector<std::vector<int>>& confusion,
                                const std::vector<std::string>& tags,
                                const std::vector<int>& coarse_of_tag,
                                const std::vector<std::string>& coarse_names) {
  const int n = static_cast<int>(tags.size());
  if (n == 0) return {};
  // Sorted by coarse class, so that a variety's confusions sit in a block.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (static_cast<int>(coarse_of_tag.size()) == n)
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return coarse_of_tag[a] < coarse_of_tag[b]; });

  // Laid out in pixels, so that the names and titles always fit: names at
  // the left and bottom, the colour bar, then the worst confusions.
  const int matrix = std::clamp(n * 16, 360, 1400), names = 300, title = 70, bar = 170, side = 620;
  const int width = names + matrix + bar + side, height = title + matrix + names;
  Page page(path, width, height);
  plstream& pls = page.pls;
  const double left = double(names) / width, right = double(names + matrix) / width,
               bottom = double(names) / height, top = 1 - double(title) / height;
  pls.vpor(left, right, bottom, top);
  pls.wind(0, n, 0, n);
  PLFLT white_to_blue_r[] = {1.0, 0.03}, white_to_blue_g[] = {1.0, 0.19},
        white_to_blue_b[] = {1.0, 0.42}, at[] = {0.0, 1.0};
  pls.scmap1l(true, 2, at, white_to_blue_r, white_to_blue_g, white_to_blue_b, nullptr);
  // Each cell filled as its own square, row r (the truth) from the top:
  // plimage maps values to grid nodes, not cells, and drew every row one
  // column off (a perfect model looked as if it mistook each product for
  // the next).
  for (int r = 0; r < n; ++r) {
    const auto& row = confusion[order[r]];
    int total = std::accumulate(row.begin(), row.end(), 0);
    for (int c = 0; c < n; ++c) {
      PLFLT share = total ? static_cast<PLFLT>(row[order[c]]) / total : 0;
      if (share <= 0) continue;
      PLFLT y0 = n - 1 - r, xs[] = {PLFLT(c), PLFLT(c + 1), PLFLT(c + 1), PLFLT(c)},
            ys[] = {y0, y0, y0 + 1, y0 + 1};
      pls.col1(share);
      pls.fill(4, xs, ys);
    }
  }
  // The diagonal (what was right), and lines between coarse classes.
  pls.col0(kRed);
  pls.lsty(2);
  pls.join(0, n, n, 0);
  pls.lsty(1);
  pls.col0(kGrey);
  for (int r = 1; r < n && static_cast<int>(coarse_of_tag.size()) == n; ++r)
    if (coarse_of_tag[order[r]] != coarse_of_tag[order[r - 1]]) {
      pls.join(r, 0, r, n);
      pls.join(0, n - r, n, n - r);
    }
  pls.col0(kBlack);
  pls.box("bc", 0, 0, "bc", 0, 0);
  const double text = std::clamp(28.0 / n, 0.25, 0.7);
  pls.schr(0, text);
  for (int r = 0; r < n; ++r) {
    const std::string name = tags[order[r]].substr(0, 28);
    pls.mtex("lv", 0.4, (n - r - 0.5) / n, 1.0, name.c_str());  // rows: the truth
    pls.mtex("bv", 0.4, (r + 0.5) / n, 1.0, name.c_str());      // columns: the prediction
  }

  PLFLT bar_w, bar_h;
  PLINT label_opts[] = {PL_COLORBAR_LABEL_RIGHT};
  const char* labels[] = {"share of the row"};
  PLINT n_values[] = {2};
  PLFLT values_data[] = {0, 1};
  const PLFLT* values[] = {values_data};
  const char* axis_opts[] = {"bcvtm"};
  PLFLT ticks[] = {0.2};
  PLINT sub_ticks[] = {2};
  pls.schr(0, 0.7);
  pls.colorbar(&bar_w, &bar_h, PL_COLORBAR_IMAGE | PL_COLORBAR_GRADIENT, PL_POSITION_RIGHT, 0.03, 0,
               0.015, 0.5, kWhite, kBlack, 1, 0, 0, 0, 0, 1, label_opts, labels, 1, axis_opts,
               ticks, sub_ticks, n_values, values);

  // Beside it, the worst confusions in words.
  struct Pair {
    int truth, predicted, count;
  };
  std::vector<Pair> pairs;
  for (int t = 0; t < n; ++t)
    for (int p = 0; p < n; ++p)
      if (p != t && confusion[t][p] > 0) pairs.push_back({t, p, confusion[t][p]});
  std::stable_sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.count > b.count; });
  // Titles and the list in the page's pixels.
  pls.vpor(0, 1, 0, 1);
  pls.wind(0, width, 0, height);
  pls.schr(0, 0.9);
  pls.ptex(width / 2.0, height - 40, 1, 0, 0.5,
           "Confusion matrix: each true product's photos by top-1 prediction");
  pls.ptex(40, names + matrix / 2.0, 0, 1, 0.5, "true product (sorted by coarse class)");
  pls.ptex(names + matrix / 2.0, 30, 1, 0, 0.5, "predicted product (top-1)");
  const double list_x = names + matrix + bar;
  pls.schr(0, 0.7);
  pls.ptex(list_x, height - title - 10, 1, 0, 0, "Worst confusions (truth > predicted: photos)");
  if (pairs.empty()) pls.ptex(list_x, height - title - 45, 1, 0, 0, "none: every photo right");
  for (size_t i = 0; i < pairs.size() && i < 30; ++i) {
    char line[200];
    std::snprintf(line, sizeof line, "%s > %s: %d", tags[pairs[i].truth].substr(0, 22).c_str(),
                  tags[pairs[i].predicted].substr(0, 22).c_str(), pairs[i].count);
    pls.ptex(list_x, height - title - 45 - 30.0 * static_cast<double>(i), 1, 0, 0, line);
  }
  (void)coarse_names;
  return {static_cast<int>(left * width), static_cast<int>((1 - top) * height),
          static_cast<int>(right * width), static_cast<int>((1 - bottom) * height), order};
}

void plot_reliability(const std::string& path, const std::vector<std::pair<double, double>>& bins,
                      const std::vector<int>& counts, double ece) {
  Page page(path, 800, 700);
  plstream& pls = page.pls;
  pls.vpor(0.12, 0.95, 0.12, 0.9);
  pls.wind(0, 1, 0, 1);
  pls.box("bcgnst", 0.1, 2, "bcgnstv", 0.1, 2);
  const int n = static_cast<int>(bins.size());
  pls.col0(kBlue);
  for (int b = 0; b < n; ++b) {
    if (!counts[b]) continue;
    PLFLT x0 = static_cast<PLFLT>(b) / n + 0.005, x1 = static_cast<PLFLT>(b + 1) / n - 0.005;
    PLFLT xs[] = {x0, x1, x1, x0}, ys[] = {0, 0, bins[b].second, bins[b].second};
    pls.fill(4, xs, ys);
  }
  pls.col0(kRed);
  pls.lsty(2);
  pls.width(2);
  pls.join(0, 0, 1, 1);
  pls.lsty(1);
  pls.col0(kBlack);
  pls.schr(0, 0.7);
  for (int b = 0; b < n; ++b)
    if (counts[b]) {
      char c[16];
      std::snprintf(c, sizeof c, "%d", counts[b]);
      pls.ptex((b + 0.5) / n, std::min(0.97, bins[b].second + 0.02), 1, 0, 0.5, c);
    }
  pls.schr(0, 1.0);
  char title[120];
  std::snprintf(title, sizeof title, "Reliability: accuracy per confidence bin (ECE %.3f)", ece);
  pls.lab("top-1 probability (bin)", "share of the bin's top-1 answers that were right", title);
  legend(pls, {"accuracy in the bin (photos above each bar)", "perfect calibration"}, {kBlue, kRed},
         {1, 2}, {true, false});
}

void plot_risk_coverage(const std::string& path, const std::vector<RiskPoint>& curve,
                        const std::vector<RiskPoint>& held_out, double marked_risk) {
  Page page(path, 800, 700);
  plstream& pls = page.pls;
  double max_risk = 0.05;
  for (const auto& p : curve) max_risk = std::max(max_risk, p.risk);
  max_risk = std::min(1.0, max_risk * 1.1);
  pls.vpor(0.12, 0.95, 0.12, 0.9);
  pls.wind(0, 1, 0, max_risk);
  pls.box("bcgnst", 0.1, 2, "bcgnstv", 0, 0);
  auto draw = [&](const std::vector<RiskPoint>& c, int colour, int style) {
    std::vector<PLFLT> x, y;
    for (const auto& p : c)
      if (p.coverage > 0) x.push_back(p.coverage), y.push_back(p.risk);
    pls.col0(colour);
    pls.lsty(style);
    pls.width(2);
    if (!x.empty()) pls.line(static_cast<PLINT>(x.size()), x.data(), y.data());
  };
  draw(curve, kBlue, 1);
  if (!held_out.empty()) draw(held_out, kGreen, 3);
  pls.col0(kRed);
  pls.lsty(2);
  pls.join(0, marked_risk, 1, marked_risk);
  pls.lsty(1);
  pls.col0(kBlack);
  pls.lab("coverage: share of scans accepted without a question",
          "risk: share of accepted scans that are wrong",
          "Risk-coverage (each point one probability threshold)");
  char mark[64];
  std::snprintf(mark, sizeof mark, "%.0f%% risk", marked_risk * 100);
  std::vector<std::string> texts{"these photos"};
  std::vector<int> colours{kBlue}, styles{1};
  std::vector<bool> boxes{false};
  if (!held_out.empty()) {
    texts.push_back("photos training held out (the lane's thresholds)");
    colours.push_back(kGreen);
    styles.push_back(3);
    boxes.push_back(false);
  }
  texts.push_back(mark);
  colours.push_back(kRed);
  styles.push_back(2);
  boxes.push_back(false);
  legend(pls, texts, colours, styles, boxes);
}

void plot_replay(const std::string& path, const std::vector<ReplayWindow>& learning,
                 const std::vector<ReplayWindow>& baseline, double marked_risk) {
  Page page(path, 900, 600);
  plstream& pls = page.pls;
  int scans = learning.empty() ? 1 : learning.back().last_scan;
  pls.vpor(0.1, 0.95, 0.12, 0.9);
  pls.wind(0, scans, 0, 1);
  pls.box("bcgnst", 0, 0, "bcgnstv", 0.1, 2);
  auto draw = [&](const std::vector<ReplayWindow>& w, double ReplayWindow::*field, int colour,
                  int style) {
    std::vector<PLFLT> x, y;
    for (const auto& p : w) x.push_back(p.last_scan), y.push_back(p.*field);
    pls.col0(colour);
    pls.lsty(style);
    pls.width(2);
    if (!x.empty()) pls.line(static_cast<PLINT>(x.size()), x.data(), y.data());
  };
  draw(learning, &ReplayWindow::accepted, kBlue, 1);
  draw(learning, &ReplayWindow::wrong_of_accepted, kRed, 1);
  if (!baseline.empty()) {
    draw(baseline, &ReplayWindow::accepted, kBlue, 3);
    draw(baseline, &ReplayWindow::wrong_of_accepted, kRed, 3);
  }
  pls.col0(kGrey);
  pls.lsty(2);
  pls.join(0, marked_risk, scans, marked_risk);
  pls.lsty(1);
  pls.col0(kBlack);
  pls.lab("scans", "share", "Replay: accepted without a question, and wrong among those accepted");
  std::vector<std::string> texts{"accepted (learning)", "wrong of accepted (learning)"};
  std::vector<int> colours{kBlue, kRed}, styles{1, 1};
  std::vector<bool> boxes{false, false};
  if (!baseline.empty()) {
    texts.insert(texts.end(), {"accepted (model alone)", "wrong of accepted (model alone)"});
    colours.insert(colours.end(), {kBlue, kRed});
    styles.insert(styles.end(), {3, 3});
    boxes.insert(boxes.end(), {false, false});
  }
  char mark[64];
  std::snprintf(mark, sizeof mark, "acceptRisk %.1f%%", marked_risk * 100);
  texts.push_back(mark);
  colours.push_back(kGrey);
  styles.push_back(2);
  boxes.push_back(false);
  legend(pls, texts, colours, styles, boxes);
}

}  // namespace ce
