from peyvand.service.models.kb import Article, ArticleCategory, ArticleFeedback, ArticleVersion

__all__ = ["Article", "ArticleCategory", "ArticleFeedback", "ArticleVersion"]
