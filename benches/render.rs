//! Rendering one statement to its finished PDF (layout, fonts, PDF/A
//! structure, attachment), per demo seller: `cargo bench --bench render`.

use std::path::Path;

use kpiseal::pipeline::{RunOptions, build_statement};
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::seal_config::DEMO_KEY_ID;
use kpiseal::statement::{SigningBlock, Statement};
use kpiseal::workspace::Workspace;

fn main() {
    divan::main();
}

fn demo_statement(seller: &str) -> Statement {
    let ws = Workspace::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap();
    let signing = SigningBlock { key_id: DEMO_KEY_ID.to_string(), demo: true };
    build_statement(&ws, seller, &RunOptions::new("2026-10".parse().unwrap()), signing).unwrap()
}

/// The four demo statements: zh-CN with two markets (acme-home), en with
/// one (sunny-gadgets), pt-BR with one (rio-casa), zh-CN with three
/// (loja-mix: Amazon.com.br, Shopee, a Shopify store).
#[divan::bench(args = ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"], sample_count = 200)]
fn render_statement(bencher: divan::Bencher, seller: &str) {
    let statement = demo_statement(seller);
    let json = statement.to_json();
    let options = RenderOptions { language: statement.seller.language, draft: false, fonts: Fonts::builtin().unwrap() };
    bencher.bench_local(|| render_pdf(divan::black_box(&statement), &json, &options).unwrap());
}

/// Common characters appended one at a time to the seller's name, so that
/// each render shows a character set no render before it showed: what a
/// batch of sellers with different names and figures costs (every font cut
/// made and compressed anew; the caches hold at most 64 cuts).
const NEW_CHARACTERS: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严";

/// [`render_statement`], each render showing one more character in the
/// seller's name than any render before it (cold font caches).
#[divan::bench(args = ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"], sample_count = 200)]
fn render_statement_new_characters(bencher: divan::Bencher, seller: &str) {
    let statement = demo_statement(seller);
    let json = statement.to_json();
    let fonts = Fonts::builtin().unwrap();
    let options = RenderOptions { language: statement.seller.language, draft: false, fonts };
    let shown: std::collections::BTreeSet<char> = String::from_utf8_lossy(&json).chars().collect();
    let mut fresh = NEW_CHARACTERS
        .chars()
        .filter(|&c| {
            !shown.contains(&c)
                && fonts.missing_glyph(kpiseal::render::fonts::Face::Regular, &c.to_string()).is_none()
                && fonts.missing_glyph(kpiseal::render::fonts::Face::Bold, &c.to_string()).is_none()
        })
        .cycle();
    bencher
        .with_inputs(|| {
            let mut s = statement.clone();
            s.seller.legal_name.push(fresh.next().unwrap());
            s
        })
        .bench_local_refs(|s| render_pdf(divan::black_box(s), &json, &options).unwrap());
}
