use kustomer_sim::{Kind, Org, SimConfig};
#[test]
fn dump() {
    let t = std::time::Instant::now();
    let org = Org::generate(&SimConfig::default());
    eprintln!("demo generate: {:?}", t.elapsed());
    for k in Kind::ALL {
        let r = org.records(k);
        eprintln!("{k:?}: {} live {}", r.len(), org.live_records(k).len());
        std::fs::write(format!("/tmp/sim_{k:?}.json"), serde_json::to_string_pretty(&r[..r.len().min(3)]).unwrap()).unwrap();
        let mut counts = std::collections::HashMap::new();
        for v in &r { *counts.entry(v["attributes"]["updatedAt"].as_str().unwrap().to_owned()).or_insert(0) += 1; }
        let mut big: Vec<_> = counts.into_iter().filter(|(_, c)| *c > 1).map(|(_, c)| c).collect();
        big.sort();
        eprintln!("   ties: {:?}", big);
    }
}
