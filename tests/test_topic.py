"""peer_terms: how often a document mentions peers, peer workers or lived experience."""
from classifier.document import Document, Section
from classifier.extract import load_document
from classifier.features.topic import peer_terms
from classifier.model.texts import load_texts


def record(text: str) -> Document:
    return Document.from_record("x", "", text)


def test_counts_peers_and_lived_experience_but_not_peer_review():
    assert peer_terms(record("Peer workers and peer-led groups; staff with lived experience.")) == 3
    assert peer_terms(record("Manuscripts were peer reviewed. A peer-reviewed journal. Peer review.")) == 0
    assert peer_terms(record("Consumer-run drop-in centres hired recovery coaches.")) == 2


def test_references_and_back_matter_do_not_count():
    doc = Document("x", sections=[Section("abstract", "", "Wheat grains were analysed."),
                                  Section("references", "References", "Smith J. Peer support workers. 2019."),
                                  Section("other", "Acknowledgements", "We thank our peers.")])
    assert peer_terms(doc) == 0


def test_off_topic_articles_score_zero_and_the_corpus_does_not(pdf_dir, corpus_dir):
    for name in ("mdpi_metabolites_wheat.pdf", "plosone_fanged_frog.pdf", "hindawi_sleep_periodontitis.pdf"):
        assert peer_terms(load_document(pdf_dir / name)) == 0, name
    docs, _ = load_texts([corpus_dir / "studies.jsonl", corpus_dir / "charted_studies.jsonl"])
    zero = [d.id for d in docs if peer_terms(d) == 0]
    assert len(docs) > 200 and len(zero) <= 0.05 * len(docs), zero  # studies of peer workers mention them
