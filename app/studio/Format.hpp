// Numbers for people, as the CLI's reports write them (models/' format_quantity is the one
// formatter of units; these only wrap it for Qt strings).
#pragma once

#include <QLocale>
#include <QString>
#include <cmath>

#include "capsim/models/Units.hpp"

namespace capsim::studio {

/// "16,384".
inline QString format_count(double value) {
  return QLocale(QLocale::English).toString(static_cast<qlonglong>(std::llround(value)));
}

/// A value with its unit, e.g. format_si(3.35e12, Quantity::Bandwidth) = "3.35 TB/s".
inline QString format_si(double value, Quantity kind) {
  return QString::fromStdString(format_quantity(value, kind));
}

/// A port speed in bits per second the way switches are sold: "400G", "200G", "25G".
inline QString format_port(double bandwidth_Bps) {
  return QString::number(bandwidth_Bps * 8 / 1e9, 'g', 4) + "G";
}

/// A percentage with one decimal: "62.3%".
inline QString format_percent(double fraction) {
  return QString::number(fraction * 100, 'f', 1) + "%";
}

}  // namespace capsim::studio
