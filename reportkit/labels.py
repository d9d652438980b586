"""The fixed words both outputs print (Contents, Notes, …), one catalogue per language.

``quotes`` holds the language's quotation marks (double open/close, single open/close),
which the parser puts in place of straight quotes.
"""

from __future__ import annotations

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "notes": "Notes",
        "recommendation": "Recommendation",
        "recommendations": "Recommendations",
        "good_practice": "Good-practice example",
        "box": "Box",
        "page": "Page {n}",
        "page_of": "Page {n} of {total}",
        "summary_of_recommendations": "Summary of recommendations",
        "draft": "Draft",
        "in_collaboration_with": "In collaboration with",
        "figure": "Figure",
        "section": "Section",
        "articles": "Articles {list}",
        "to_be_written": "To be written.",
        "confidential": "Confidential",
        "confidential_notice": "Confidential submission: not to be published",
        "quotes": ["\u201c", "\u201d", "\u2018", "\u2019"],
    },
    "fr": {
        "contents": "Table des matières",
        "notes": "Notes",
        "recommendation": "Recommandation",
        "recommendations": "Recommandations",
        "good_practice": "Exemple de bonne pratique",
        "box": "Encadré",
        "page": "Page {n}",
        "page_of": "Page {n} sur {total}",
        "summary_of_recommendations": "Récapitulatif des recommandations",
        "draft": "Projet",
        "in_collaboration_with": "En collaboration avec",
        "figure": "Figure",
        "section": "Section",
        "articles": "Articles {list}",
        "to_be_written": "À rédiger.",
        "confidential": "Confidentiel",
        "confidential_notice": "Soumission confidentielle\u00a0: ne pas publier",
        "quotes": ["«\u00a0", "\u00a0»", "\u2039\u00a0", "\u00a0\u203a"],
    },
    "es": {
        "contents": "Índice",
        "notes": "Notas",
        "recommendation": "Recomendación",
        "recommendations": "Recomendaciones",
        "good_practice": "Ejemplo de buena práctica",
        "box": "Recuadro",
        "page": "Página {n}",
        "page_of": "Página {n} de {total}",
        "summary_of_recommendations": "Resumen de las recomendaciones",
        "draft": "Borrador",
        "in_collaboration_with": "En colaboración con",
        "figure": "Figura",
        "section": "Sección",
        "articles": "Artículos {list}",
        "to_be_written": "Por redactar.",
        "confidential": "Confidencial",
        "confidential_notice": "Comunicación confidencial: no publicar",
        "quotes": ["«", "»", "\u201c", "\u201d"],
    },
    "ru": {
        "contents": "Содержание",
        "notes": "Примечания",
        "recommendation": "Рекомендация",
        "recommendations": "Рекомендации",
        "good_practice": "Пример передовой практики",
        "box": "Вставка",
        "page": "Страница {n}",
        "page_of": "Страница {n} из {total}",
        "summary_of_recommendations": "Сводка рекомендаций",
        "draft": "Проект",
        "in_collaboration_with": "В сотрудничестве с",
        "figure": "Рисунок",
        "section": "Раздел",
        "articles": "Статьи {list}",
        "to_be_written": "Текст будет добавлен.",
        "confidential": "Конфиденциально",
        "confidential_notice": "Конфиденциальный доклад: не для публикации",
        "quotes": ["«", "»", "\u201e", "\u201c"],
    },
}


def labels(language: str) -> dict:
    """The catalogue for a BCP 47 tag ("fr", "fr-CH"…), falling back to English per key."""
    base = language.split("-")[0].lower()
    return {**CATALOGUES["en"], **CATALOGUES.get(base, {})}
