#!/usr/bin/env python3
"""Writes Vigie's Grafana dashboards (fleet.json, node.json, disks.json).

The JSON files are committed; run this after editing it and commit both:

    python3 dashboards/generate.py            # --check: only say whether they are up to date

Schema: Grafana 10 and 11 (schemaVersion 39). The datasource is the input
${DS_PROMETHEUS}: importing a file from the UI asks for a Prometheus data
source, and a provisioned file resolves it through the datasource variable of
the same name. Every query reads only the metrics vigie-collector exposes
(collector/metrics_page.cc, collector/metrics_hardware.cc), and
tests/ops/dashboards_test.cc checks that each one returns data from a real
Prometheus scraping a real collector.
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
SITE = 'site=~"$site"'
NODE = 'node=~"$node"'
WHERE = "{" + SITE + "," + NODE + "}"


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1

    def place(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_height = max(self.row_height, h)
        return panel

    def place_under(self, panel, above, h):
        """Below `above`, as wide as the panels from its left edge to the cursor."""
        pos = above["gridPos"]
        panel["id"] = self.next_id
        self.next_id += 1
        panel["gridPos"] = {"h": h, "w": self.x - pos["x"], "x": pos["x"], "y": pos["y"] + pos["h"]}
        self.row_height = max(self.row_height, pos["h"] + h)
        return panel

    def newline(self):
        self.y += self.row_height
        self.x = 0
        self.row_height = 0

    def row(self, title, repeat=None, collapsed=False):
        self.newline()
        panel = {"type": "row", "title": title, "collapsed": collapsed, "panels": []}
        if repeat:
            panel["repeat"] = repeat
        self.place(panel, 24, 1)
        self.newline()
        return panel


def target(expr, legend="", ref="A", instant=False, table=False):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto"}
    if instant:
        t.update({"instant": True, "range": False})
    else:
        t.update({"instant": False, "range": True})
    if table:
        t["format"] = "table"
    return t


def targets(*exprs, **kwargs):
    """(expr, legend) pairs -> targets A, B, C..."""
    return [target(e, l, ref=chr(ord("A") + i), **kwargs) for i, (e, l) in enumerate(exprs)]


def thresholds(*steps):
    """(value, color) pairs; the first value is the base (None)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


def stat(title, tgts, unit="none", steps=((None, "green"),), description="", mappings=None, text_mode="auto",
         overrides=()):
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": thresholds(*steps), "mappings": mappings or [],
                         "color": {"mode": "thresholds"}},
            "overrides": list(overrides),
        },
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "none", "textMode": text_mode,
                    "justifyMode": "auto", "orientation": "auto"},
    }


def timeseries(title, tgts, unit="none", description="", steps=((None, "green"),), min_value=None, span_nulls=False):
    """span_nulls: draw across gaps, for SMART readings that a sleeping disk skips."""
    defaults = {"unit": unit, "thresholds": thresholds(*steps), "color": {"mode": "palette-classic"},
                "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "showPoints": "never",
                           "spanNulls": span_nulls, "thresholdsStyle": {"mode": "off"}}}
    if min_value is not None:
        defaults["min"] = min_value
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                               "calcs": ["lastNotNull", "max"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }


def bargauge(title, tgts, unit="none", steps=((None, "green"),), description="", max_value=None):
    defaults = {"unit": unit, "thresholds": thresholds(*steps), "color": {"mode": "thresholds"}, "min": 0}
    if max_value is not None:
        defaults["max"] = max_value
    return {
        "type": "bargauge",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True},
    }


def table(title, tgts, columns, sort_by=None, description="", exclude=(), overrides=()):
    """An instant table merging its targets on their labels.

    columns: ordered (field, display name) pairs; the merged frame's value
    fields are "Value #<refId>" (or "Value" with one target).
    """
    # Instant table queries carry __name__, job and instance: the merge would
    # keep rows of different metrics apart, so every target drops them (and
    # two collectors scraping the same node fold into one row).
    for t in tgts:
        t["expr"] = "max without (instance, job) (" + t["expr"] + ")"
    rename = {field: name for field, name in columns}
    order = {field: i for i, (field, _) in enumerate(columns)}
    hidden = {f: True for f in ("Time", "__name__", "job", "instance", *exclude)}
    transformations = [{"id": "merge", "options": {}},
                       {"id": "organize", "options": {"excludeByName": hidden, "indexByName": order,
                                                      "renameByName": rename}}]
    panel = {
        "type": "table",
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "transformations": transformations,
        "fieldConfig": {"defaults": {"custom": {"align": "auto", "filterable": True, "cellOptions": {"type": "auto"}},
                                     "thresholds": thresholds((None, "green")), "color": {"mode": "thresholds"}},
                        "overrides": list(overrides)},
        "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}},
    }
    if sort_by:
        panel["options"]["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return panel


def override(name, **props):
    """A by-name field override: unit=..., thresholds=..., mappings=..., cell=..., width=..."""
    properties = []
    if "unit" in props:
        properties.append({"id": "unit", "value": props["unit"]})
    if "decimals" in props:
        properties.append({"id": "decimals", "value": props["decimals"]})
    if "thresholds" in props:
        properties.append({"id": "thresholds", "value": thresholds(*props["thresholds"])})
    if "mappings" in props:
        properties.append({"id": "mappings", "value": props["mappings"]})
    if "cell" in props:
        properties.append({"id": "custom.cellOptions", "value": {"type": props["cell"]}})
    return {"matcher": {"id": "byName", "options": name}, "properties": properties}


def value_map(*pairs):
    """(value, text, color) -> one value mapping."""
    return [{"type": "value",
             "options": {str(v): {"text": text, "color": color, "index": i} for i, (v, text, color) in enumerate(pairs)}}]


HEALTH = value_map((1, "PASSED", "green"), (0, "FAILED", "red"))
UP = value_map((1, "UP", "green"), (0, "DOWN", "red"))


def variables(node_multi):
    """The datasource input, then site and node from label_values queries."""
    def query_var(name, label, query, multi):
        return {"type": "query", "name": name, "label": label, "datasource": DS,
                "query": query,
                "definition": query, "refresh": 2, "sort": 1, "multi": multi, "includeAll": multi,
                "allValue": ".*" if multi else None, "current": {}, "options": [], "hide": 0}

    return {"list": [
        {"type": "datasource", "name": "DS_PROMETHEUS", "label": "Prometheus", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
        query_var("site", "Site", "label_values(vigie_node_up, site)", True),
        query_var("node", "Node", 'label_values(vigie_node_up{site=~"$site"}, node)', node_multi),
    ]}


def annotations():
    builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
               "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}
    reboots = {
        "name": "Reboots",
        "datasource": DS,
        "enable": True,
        "iconColor": "orange",
        # Uptime going down between two scrapes is a new boot, clean or not.
        # 2 min windows on a 1 min step: every reset is seen by two steps,
        # which Grafana merges into one region.
        "expr": "resets(vigie_node_uptime_seconds" + WHERE + "[2m]) > 0",
        "step": "1m",
        "titleFormat": "{{node}} rebooted",
        "textFormat": "{{node}} ({{site}}): uptime went back to zero",
        "tagKeys": "site,node",
        "useValueForTime": False,
    }
    power_losses = {
        "name": "Power losses",
        "datasource": DS,
        "enable": True,
        "iconColor": "red",
        # A reboot without the agent's clean-shutdown marker: the alerting
        # engine's unexpected_reboot rule.
        "expr": 'vigie_alerts_firing{rule="unexpected_reboot",' + SITE + "," + NODE + "} > 0",
        "step": "1m",
        "titleFormat": "{{node}}: power loss suspected",
        "textFormat": "{{node}} ({{site}}) restarted without a clean shutdown",
        "tagKeys": "site,node,rule",
        "useValueForTime": False,
    }
    return {"list": [builtin, reboots, power_losses]}


def dashboard(uid, title, description, panels, node_multi, tags=()):
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "description": "Prometheus scraping vigie-collector",
                      "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
            {"type": "panel", "id": "table", "name": "Table", "version": ""},
            {"type": "panel", "id": "bargauge", "name": "Bar gauge", "version": ""},
        ],
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["vigie", *tags],
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "timepicker": {},
        "schemaVersion": 39,
        "version": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [{"title": "Vigie", "type": "dashboards", "tags": ["vigie"], "asDropdown": True,
                   "includeVars": True, "keepTime": True, "icon": "external link"}],
        "annotations": annotations(),
        "templating": variables(node_multi),
        "panels": panels,
    }


def fleet():
    layout = Layout()
    panels = []
    s = '{site=~"$site",node=~"$node"}'
    row = layout.row("$site", repeat="site")
    panels.append(row)
    node_link = [{"title": "Open ${__value.raw}", "url": "/d/vigie-node?var-node=${__value.raw}&${__url_time_range}"}]
    add = [
        (stat("Nodes up", [target("sum(vigie_node_up" + s + ")", "up")],
              description="Nodes that reported within the collector's offline_after."), 3, 4),
        (stat("Nodes down", [target("sum(1 - vigie_node_up" + s + ")", "down")],
              steps=((None, "green"), (1, "red")),
              description="Configured nodes with no report within offline_after (or never seen)."), 3, 4),
        (stat("Alerts firing", [target("sum(vigie_alerts_firing{site=~\"$site\"})", "firing")],
              steps=((None, "green"), (1, "red")),
              description="Alerts of the alerting engine that are firing for this site's nodes and for the site itself."), 3, 4),
        (table("Nodes", targets(
            ("vigie_node_up" + s, ""),
            ("time() - vigie_node_last_seen_timestamp_seconds" + s, ""),
            ("vigie_node_uptime_seconds" + s, ""),
            instant=True, table=True),
            columns=[("node", "Node"), ("Value #A", "State"), ("Value #B", "Last seen"), ("Value #C", "Uptime")],
            exclude=("site",),
            overrides=[override("State", mappings=UP, cell="color-background"),
                       override("Last seen", unit="s", decimals=0,
                                thresholds=((None, "green"), (180, "orange"), (300, "red")), cell="color-text"),
                       override("Uptime", unit="s", decimals=0),
                       {"matcher": {"id": "byName", "options": "Node"},
                        "properties": [{"id": "links", "value": node_link}]}],
            description="Every node of the site: state, seconds since its last report, uptime."), 15, 8),
        (table("Alerts", [target("vigie_alerts_firing{site=~\"$site\"} > 0", table=True, instant=True)],
               columns=[("node", "Node"), ("rule", "Rule"), ("severity", "Severity"), ("Value", "Firing")],
               exclude=("site",),
               description="What the alerting engine is telling the members of this site right now."), 8, 8),
        (bargauge("Hottest sensor per node",
                  [target("max by (node) (vigie_sensor_temperature_celsius" + s + ")", "{{node}}")],
                  unit="celsius", steps=((None, "green"), (70, "orange"), (85, "red")), max_value=100,
                  description="The hottest lm-sensors temperature of each node (CPU, board, drives)."), 8, 8),
        (stat("Disks", targets(
            # A sleeping disk is not read: count what its last full read of the day said.
            ("sum(last_over_time(vigie_disk_smart_healthy" + s + "[1d]))", "SMART passed"),
            ("sum(1 - last_over_time(vigie_disk_smart_healthy" + s + "[1d]))", "SMART failed"),
            ("sum(last_over_time(vigie_disk_nvme_critical_warning" + s + "[1d]) > bool 0)", "NVMe warning"),
            ("sum(sum by (node, disk) (last_over_time(vigie_disk_ata_attribute_raw"
             "{site=~\"$site\",node=~\"$node\",id=~\"5|197|198\"}[1d])) > bool 0)", "bad sectors"),
            ("sum(vigie_disk_asleep" + s + ")", "asleep")),
            steps=((None, "green"),),
            overrides=[override(name, thresholds=((None, "green"), (1, "red")))
                       for name in ("SMART failed", "NVMe warning", "bad sectors")]
            + [override("asleep", thresholds=((None, "blue"),))],
            description="SMART overall health, NVMe critical warnings, disks with reallocated, pending or "
                        "uncorrectable sectors, and disks left asleep (not read) this cycle. See the Disks dashboard."),
         "under", 4),
        (timeseries("Power drawn (CPU, RAPL)",
                    [target("sum by (node) (vigie_power_rapl_watts{site=~\"$site\",node=~\"$node\",zone=~\"package-[0-9]+\"})",
                            "{{node}}")],
                    unit="watt", min_value=0,
                    description="CPU package power from RAPL, per node (what the processors draw, not the whole box)."), 8, 8),
        (timeseries("Last seen", [target("time() - vigie_node_last_seen_timestamp_seconds" + s, "{{node}}")],
                    unit="s", min_value=0, steps=((None, "green"), (300, "red")),
                    description="Seconds since each node's last report; a saw-tooth below the period is healthy."), 24, 6),
    ]
    # The Disks stat sits under the three stats, beside the Nodes table.
    disks_stat = next(item for item in add if item[1] == "under")
    add.remove(disks_stat)
    for panel, w, h in add:
        panels.append(layout.place(panel, w, h))
        if panel["title"] == "Alerts firing":
            panels.append(layout.place_under(disks_stat[0], panels[-3], disks_stat[2]))
    return dashboard("vigie-fleet", "Vigie / Fleet",
                     "Every site at a glance: who is up, what is hot, which disks worry, what it draws.", panels, True)


def node():
    layout = Layout()
    n = '{node=~"$node"}'
    panels = []

    def add(panel, w, h):
        panels.append(layout.place(panel, w, h))

    panels.append(layout.row("Now"))
    add(stat("State", [target("vigie_node_up" + n)], mappings=UP, steps=((None, "red"), (1, "green"))), 3, 4)
    add(stat("Last seen", [target("time() - vigie_node_last_seen_timestamp_seconds" + n)], unit="s",
             steps=((None, "green"), (180, "orange"), (300, "red"))), 3, 4)
    add(stat("Uptime", [target("vigie_node_uptime_seconds" + n)], unit="s"), 3, 4)
    add(stat("Load (1 min)", [target("vigie_node_load1" + n)], unit="none",
             steps=((None, "green"), (2, "orange"), (4, "red"))), 3, 4)
    add(stat("Memory available", [target("vigie_node_memory_available_bytes" + n + " / vigie_node_memory_total_bytes" + n)],
             unit="percentunit", steps=((None, "red"), (0.1, "orange"), (0.2, "green"))), 4, 4)
    add(stat("Sensor alarms", [target("sum(vigie_sensor_alarm" + n + ")")],
             steps=((None, "green"), (1, "red")),
             description="Sensors whose chip raised an alarm or fault flag (a dead fan, a voltage out of range)."), 4, 4)
    add(stat("On mains", [target("vigie_power_ac_online" + n)], steps=((None, "red"), (1, "green")),
             mappings=value_map((1, "MAINS", "green"), (0, "BATTERY", "red")),
             description="Whether the machine runs on mains power (laptops and UPS-backed boxes); no data when it cannot tell."), 2, 4)
    add(stat("Alerts firing", [target("sum(vigie_alerts_firing" + n + ")")], steps=((None, "green"), (1, "red"))), 2, 4)

    panels.append(layout.row("Temperatures, fans and power"))
    add(timeseries("Temperatures", targets(
        ("vigie_sensor_temperature_celsius" + n, "{{chip}} {{sensor}}"),
        ("vigie_disk_temperature_celsius" + n, "disk {{disk}}")), unit="celsius",
        description="lm-sensors temperatures and the drives' own."), 12, 8)
    add(timeseries("Temperature limits", [target("vigie_sensor_temperature_limit_celsius" + n,
                                                 "{{chip}} {{sensor}} {{limit}}")], unit="celsius",
                   description="The chips' own max and crit limits, the ones the temperature alert compares with."), 12, 8)
    add(timeseries("Fans", [target("vigie_sensor_fan_rpm" + n, "{{chip}} {{sensor}}")], unit="rotrpm", min_value=0,
                   description="0 rpm on a fan that has a min limit is a dead or unplugged fan."), 12, 8)
    add(timeseries("Power (RAPL)", [target("vigie_power_rapl_watts" + n, "{{zone}}")], unit="watt", min_value=0,
                   description="CPU package and DRAM power from RAPL, averaged over each period."), 12, 8)

    panels.append(layout.row("Disks: SMART over time"))
    add(timeseries("Reallocated, pending, uncorrectable sectors and CRC errors",
                   [target('vigie_disk_ata_attribute_raw{node=~"$node",id=~"5|197|198|199"}', "{{disk}} {{attribute}}")],
                   min_value=0,
                   description="ATA attributes 5, 197, 198 and 199 (raw counts). Any rise is a disk (or, for 199, a "
                               "cable) starting to fail.", span_nulls=True), 12, 8)
    add(timeseries("NVMe spare and wear", targets(
        ("vigie_disk_nvme_available_spare_ratio" + n, "{{disk}} spare"),
        ("vigie_disk_nvme_available_spare_threshold_ratio" + n, "{{disk}} spare threshold"),
        ("vigie_disk_nvme_percentage_used_ratio" + n, "{{disk}} endurance used")), unit="percentunit", min_value=0, span_nulls=True), 12, 8)
    add(timeseries("NVMe media errors and unsafe shutdowns", targets(
        ("vigie_disk_nvme_media_errors_total" + n, "{{disk}} media errors"),
        ("vigie_disk_nvme_unsafe_shutdowns_total" + n, "{{disk}} unsafe shutdowns")), min_value=0, span_nulls=True), 12, 8)
    add(timeseries("Normalized attribute margin", [target(
        'vigie_disk_ata_attribute_value{node=~"$node"} - vigie_disk_ata_attribute_threshold{node=~"$node"}',
        "{{disk}} {{attribute}}")],
        description="Value minus threshold of every ATA attribute: the drive itself calls it failing at 0.", span_nulls=True), 12, 8)

    panels.append(layout.row("Last report"))
    add(table("Disks", targets(
        ("vigie_disk_info" + n, ""),
        ("vigie_disk_smart_healthy" + n, ""),
        ("vigie_disk_power_on_seconds_total" + n + " / 3600", ""),
        ("vigie_disk_capacity_bytes" + n, ""),
        ("time() - vigie_disk_last_read_timestamp_seconds" + n, ""),
        instant=True, table=True),
        columns=[("disk", "Disk"), ("model", "Model"), ("serial", "Serial"), ("kind", "Kind"),
                 ("firmware", "Firmware"), ("status", "This cycle"), ("Value #B", "SMART"),
                 ("Value #C", "Power-on"), ("Value #D", "Capacity"), ("Value #E", "Last full read")],
        exclude=("node", "site", "Value #A"),
        overrides=[override("SMART", mappings=HEALTH, cell="color-background"),
                   override("Power-on", unit="h", decimals=0), override("Capacity", unit="bytes"),
                   override("Last full read", unit="s", decimals=0)],
        description="Every disk in the newest report. A disk asleep when asked is left alone: it has no SMART "
                    "column this cycle, and Last full read says how long ago it was last read."), 24, 6)
    add(table("Filesystems", targets(
        ("1 - vigie_filesystem_avail_bytes" + n + " / vigie_filesystem_size_bytes" + n, ""),
        ("vigie_filesystem_avail_bytes" + n, ""),
        ("vigie_filesystem_size_bytes" + n, ""),
        ("1 - vigie_filesystem_files_free" + n + " / vigie_filesystem_files" + n, ""),
        instant=True, table=True),
        columns=[("mountpoint", "Mount point"), ("device", "Device"), ("fstype", "Type"), ("Value #A", "Used"),
                 ("Value #B", "Available"), ("Value #C", "Size"), ("Value #D", "Inodes used")],
        exclude=("node", "site"),
        overrides=[override("Used", unit="percentunit", cell="gauge",
                            thresholds=((None, "green"), (0.9, "orange"), (0.97, "red"))),
                   override("Inodes used", unit="percentunit"),
                   override("Available", unit="bytes"), override("Size", unit="bytes")]), 12, 6)
    add(table("Report", targets(
        ("vigie_node_report_timestamp_seconds" + n + " * 1000", ""),
        ("vigie_node_load5" + n, ""),
        ("vigie_node_load15" + n, ""),
        ("vigie_node_memory_total_bytes" + n, ""),
        ("vigie_node_swap_total_bytes" + n + " - vigie_node_swap_free_bytes" + n, ""),
        instant=True, table=True),
        columns=[("node", "Node"), ("site", "Site"), ("Value #A", "Collected at (node clock)"),
                 ("Value #B", "Load 5 min"), ("Value #C", "Load 15 min"), ("Value #D", "Memory"),
                 ("Value #E", "Swap used")],
        overrides=[override("Collected at (node clock)", unit="dateTimeAsIso"), override("Memory", unit="bytes"),
                   override("Swap used", unit="bytes")],
        description="The newest report's identity and system basics."), 12, 6)
    add(table("Sources that failed", [target("vigie_node_source_errors" + n, instant=True, table=True)],
              columns=[("source", "Source"), ("Value", "Errors")], exclude=("node", "site"),
              description="Sources the agent could not read in its newest report (the agent's log says why)."), 12, 5)
    add(table("Sensors", targets(
        ("vigie_sensor_temperature_celsius" + n, ""),
        ("vigie_sensor_alarm" + n, ""),
        instant=True, table=True),
        columns=[("chip", "Chip"), ("sensor", "Sensor"), ("Value #A", "°C"), ("Value #B", "Alarm")],
        exclude=("node", "site"),
        overrides=[override("Alarm", mappings=value_map((0, "", "transparent"), (1, "ALARM", "red")),
                            cell="color-background")]), 12, 5)
    return dashboard("vigie-node", "Vigie / Node",
                     "One node over time: temperatures, fans, power, SMART trends and its newest report.", panels, False)


def disks():
    layout = Layout()

    def last(metric, matchers=""):
        # A disk asleep at read time is left alone and sends no readings that
        # cycle: show what its last full read said, up to a day old.
        return 'last_over_time(%s{site=~"$site",node=~"$node"%s}[1d])' % (metric, matchers)

    def attribute(id_):
        # One series per disk, without the id and attribute labels, so that
        # the table's merge joins it with the other columns.
        return ("sum without (id, attribute) (" + last("vigie_disk_ata_attribute_raw", ',id="%s"' % id_) + ")", "")

    # Higher is worse; one number to sort the fleet's disks by, the worst first.
    def issue(expr, name):
        return 'label_replace(%s, "issue", "%s", "", "")' % (expr, name)

    attention = (
        "sum by (site, node, disk, model, serial, instance, job) (\n    "
        + "\n or ".join([
            issue(last("vigie_disk_info") + " * 0", "none"),
            issue("(1 - " + last("vigie_disk_smart_healthy") + ") * 1000", "smart"),
            issue("(" + last("vigie_disk_nvme_critical_warning") + " > bool 0) * 1000", "nvme_warning"),
            issue("(" + last("vigie_disk_nvme_available_spare_ratio") + " < bool "
                  + last("vigie_disk_nvme_available_spare_threshold_ratio") + ") * 500", "spare"),
            issue("clamp_max(sum without (id, attribute) ("
                  + last("vigie_disk_ata_attribute_raw", ',id=~"5|197|198"') + "), 999)", "sectors"),
            issue("clamp_max(sum without (id, attribute) (" + last("vigie_disk_ata_attribute_raw", ',id="199"')
                  + "), 99)", "crc"),
            issue(last("vigie_disk_nvme_percentage_used_ratio") + " * 100", "wear"),
        ])
        + "\n)")
    columns = [
        ("site", "Site"), ("node", "Node"), ("disk", "Disk"), ("model", "Model"), ("serial", "Serial"),
        ("Value #A", "Attention"), ("Value #B", "SMART"), ("Value #C", "Temp"), ("Value #D", "Power-on"),
        ("Value #E", "Reallocated (5)"), ("Value #F", "Pending (197)"), ("Value #G", "Uncorrectable (198)"),
        ("Value #H", "CRC errors (199)"), ("Value #I", "NVMe wear"), ("Value #J", "NVMe spare"),
        ("Value #K", "NVMe critical warning"), ("Value #L", "NVMe media errors"),
    ]
    counts = ((None, "green"), (1, "red"))
    panel = table("Every disk of the fleet, the worst first", targets(
        (attention, ""),
        (last("vigie_disk_smart_healthy"), ""),
        (last("vigie_disk_temperature_celsius"), ""),
        (last("vigie_disk_power_on_seconds_total") + " / 3600", ""),
        attribute(5), attribute(197), attribute(198), attribute(199),
        (last("vigie_disk_nvme_percentage_used_ratio"), ""),
        (last("vigie_disk_nvme_available_spare_ratio"), ""),
        (last("vigie_disk_nvme_critical_warning"), ""),
        (last("vigie_disk_nvme_media_errors_total"), ""),
        instant=True, table=True),
        columns=columns, sort_by="Attention",
        overrides=[
            override("Attention", thresholds=((None, "green"), (1, "orange"), (500, "red")), cell="color-background"),
            override("SMART", mappings=HEALTH, cell="color-background"),
            override("Temp", unit="celsius", thresholds=((None, "green"), (50, "orange"), (55, "red")), cell="color-text"),
            override("Power-on", unit="h", decimals=0),
            override("Reallocated (5)", thresholds=counts, cell="color-text"),
            override("Pending (197)", thresholds=counts, cell="color-text"),
            override("Uncorrectable (198)", thresholds=counts, cell="color-text"),
            override("CRC errors (199)", thresholds=counts, cell="color-text"),
            override("NVMe wear", unit="percentunit", thresholds=((None, "green"), (0.8, "orange"), (0.9, "red")),
                     cell="color-text"),
            override("NVMe spare", unit="percentunit", thresholds=((None, "red"), (0.1, "orange"), (0.2, "green")),
                     cell="color-text"),
            override("NVMe critical warning", thresholds=counts, cell="color-background"),
            override("NVMe media errors", thresholds=counts, cell="color-text"),
        ],
        description="Click a header to sort. Attention (higher is worse): 1000 for a failed SMART health or an NVMe "
                    "critical warning, 500 for NVMe spare under its threshold, plus reallocated + pending + "
                    "uncorrectable sectors (up to 999), CRC errors (up to 99) and the NVMe endurance used in %. "
                    "A disk asleep when last asked is not read (it is never woken up): its columns show its "
                    "last full read of the past 24 hours.")
    panels = [layout.place(panel, 24, 20)]
    return dashboard("vigie-disks", "Vigie / Disks",
                     "Every disk of the fleet in one table, sorted by what needs attention first.", panels, True)


def main():
    # --check: write nothing, fail if a committed file differs from what this script makes.
    check = "--check" in sys.argv[1:]
    stale = []
    for name, board in (("fleet", fleet()), ("node", node()), ("disks", disks())):
        path = HERE / (name + ".json")
        text = json.dumps(board, indent=2, ensure_ascii=False) + "\n"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(HERE.parent)))
            continue
        path.write_text(text)
        print("wrote", path.relative_to(HERE.parent))
    if stale:
        print("out of date (run python3 dashboards/generate.py and commit):", " ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
